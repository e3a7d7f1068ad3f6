from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.core.errors import DomainError, NotFound
from residence.core.forms import form_error
from residence.core.uploads import table_import_page
from residence.places.imports import (
    COLUMNS,
    address_import_commit,
    address_import_example,
    address_import_preview,
    obligor_import_commit,
    obligor_import_preview,
)
from residence.places.models import ObligorKind
from residence.places.selectors import (
    building_list,
    jurisdiction_ancestors,
    jurisdiction_children,
    jurisdiction_get_for_user,
    obligor_units,
    obligors_for,
    premises_of,
)
from residence.places.services import (
    obligor_account_bind_for,
    obligor_account_create,
    obligor_create,
    obligor_get_for,
)


@login_required
def premises(request: HttpRequest) -> HttpResponse:
    """A declaration obligor's own premises."""
    obligor, units = premises_of(user=request.user)  # type: ignore[arg-type]
    if obligor is None:
        raise Http404
    shown = 500
    return render(request, "places/premises.html", {"obligor": obligor, "units": units[:shown],
                                                    "total": units.count(), "shown": shown})


@login_required
def browse(request: HttpRequest, code: str = "") -> HttpResponse:
    user = request.user
    try:
        area = jurisdiction_get_for_user(user=user, code=code or None)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    after = request.GET.get("after", "")[:32]
    buildings = building_list(jurisdiction=area, after_code=after) if area.level == "grid" or after else []
    return render(request, "places/browse.html", {
        "area": area,
        "crumbs": jurisdiction_ancestors(jurisdiction=area, user=user),  # type: ignore[arg-type]
        "children": jurisdiction_children(jurisdiction=area),
        "buildings": buildings,
        "next_after": buildings[-1].address_code if len(buildings) == 50 else "",
    })


@login_required
def address_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview with per-row errors → confirm (see core.uploads)."""
    if not can(request.user, Capability.ADDRESS_IMPORT):
        raise Http404
    user = request.user
    return table_import_page(
        request, title=_("Import addresses"), again="places:import", columns=COLUMNS,
        example=lambda: address_import_example(actor=user),  # type: ignore[arg-type]
        check=lambda name, data: address_import_preview(actor=user, filename=name, data=data),  # type: ignore[arg-type]
        commit=lambda name, data, mode: address_import_commit(actor=user, filename=name, data=data,  # type: ignore[arg-type]
                                                              mode=mode),  # type: ignore[arg-type]
        done=lambda result: _("Imported %(n)d units.") % {"n": len(result.valid)},
    )


# Administration of obligors (/manage/obligors/), for those who hold obligor.manage: thin pages over
# places.services and places.selectors; an obligor outside the actor's area is "not found".

class ObligorForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ObligorKind.choices)
    jurisdiction_code = forms.CharField(label=gettext_lazy("Jurisdiction code"), max_length=32,
                                        help_text=gettext_lazy("The area that administers the obligor."))
    code = forms.CharField(label=gettext_lazy("Obligor code"), max_length=32, required=False,
                           help_text=gettext_lazy("The register's own number, if it has one."))


class BindForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name of an obligor account"), max_length=150)


class ObligorAccountForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


def _manager(request: HttpRequest) -> User:
    if not isinstance(request.user, User) or not can(request.user, Capability.OBLIGOR_MANAGE):
        raise Http404
    return request.user


@login_required
def manage_obligors(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    q = request.GET.get("q", "")[:100]
    rows, total = obligors_for(actor=actor, q=q)
    return render(request, "places/manage/obligors.html", {"rows": rows, "total": total, "q": q})


@login_required
def manage_obligor_new(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = ObligorForm(request.POST or None, initial={"jurisdiction_code": actor.jurisdiction_code})
    if request.method == "POST" and form.is_valid():
        try:
            obligor = obligor_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Created the obligor %(name)s.") % {"name": obligor.name})
            return redirect("manage:obligor", obligor_id=obligor.pk)
    return render(request, "places/manage/obligor_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def manage_obligor(request: HttpRequest, obligor_id: int) -> HttpResponse:
    actor = _manager(request)
    try:
        obligor = obligor_get_for(actor=actor, obligor_id=obligor_id)
    except NotFound:
        raise Http404 from None
    bind, account = BindForm(), ObligorAccountForm()
    if request.method == "POST":
        action = request.POST.get("action")
        form: forms.Form = BindForm(request.POST) if action == "bind" else ObligorAccountForm(request.POST)
        if action not in {"bind", "account"}:
            return HttpResponse(status=400)
        if form.is_valid():
            try:
                if action == "bind":
                    obligor_account_bind_for(actor=actor, obligor_id=obligor.pk, **form.cleaned_data)
                else:
                    obligor_account_create(actor=actor, obligor_id=obligor.pk, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("The account now sees this obligor's premises."))
                return redirect("manage:obligor", obligor_id=obligor.pk)
        bind, account = (form, account) if action == "bind" else (bind, form)  # type: ignore[assignment]
    units = obligor_units(obligor=obligor)
    shown = 500
    return render(request, "places/manage/obligor.html", {
        "obligor": obligor, "units": units[:shown], "total": units.count(), "shown": shown, "bind": bind,
        "account": account}, status=400 if bind.errors or account.errors else 200)


@login_required
def manage_obligor_import(request: HttpRequest) -> HttpResponse:
    """Obligors with their units: upload → preview with per-row errors → confirm, all or nothing."""
    user = _manager(request)
    return table_import_page(
        request, title=_("Import obligors"), columns_help=_(
            "One row per unit. Columns: 义务人编号, 义务人名称, "
            "义务人类型 (房东, 用人单位, 旅馆, 时租房), 所属辖区代码, "
            "房屋编码 (a unit that exists, inside the obligor's area). "
            "Rows with the same 义务人编号 are one obligor. "
            "All or nothing: a file with any error imports nothing. UTF-8 or GBK CSV, or XLSX; at most 20 MB."),
        again="manage:obligor_import",
        check=lambda name, data: obligor_import_preview(actor=user, filename=name, data=data),
        commit=lambda name, data, mode: obligor_import_commit(actor=user, filename=name, data=data,
                                                              mode=mode),  # type: ignore[arg-type]
        done=lambda result: _("Imported %(o)d obligors with %(n)d units.") % {
            "o": len({r.code for r in result.valid}), "n": len(result.valid)},
    )
