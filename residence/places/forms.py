from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AddressUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"),
                           help_text=_("Columns: 网格代码, 地址编码, 道路, 门牌号, 楼栋名称, 房屋编码, 房号, 房屋类型, "
                                       "是否出租屋, 治安等级. UTF-8 or GBK; at most 20 MB."))


class AddressConfirmForm(forms.Form):
    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=[("all", _("Import all rows")), ("valid_rows", _("Import the valid rows only"))])
