"""Persons. ID and phone numbers are stored encrypted, found by a keyed blind index, shown masked."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.core.fields import BytewiseCharField
from residence.people.choices import Education, Ethnicity, MaritalStatus


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    id_number_enc = models.BinaryField()
    id_number_index = BytewiseCharField(max_length=64)  # unique: see Meta (no LIKE index for a digest)
    id_number_masked = models.CharField(_("ID number"), max_length=18)
    name = BytewiseCharField(_("name"), max_length=60)
    name_initials = BytewiseCharField(max_length=60)  # pinyin initials, lower case: 张三 → zs
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    origin_code = BytewiseCharField(_("place of origin"), max_length=6)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=Ethnicity.choices, default="01")
    education = models.CharField(_("education"), max_length=2, choices=Education.choices, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=2, choices=MaritalStatus.choices, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    phone_enc = models.BinaryField(null=True, blank=True)
    phone_index = BytewiseCharField(max_length=64, blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    hukou_address = models.CharField(_("household-registration address"), max_length=200, blank=True)
    photo = models.FileField(_("photo"), upload_to="photos/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["id_number_index"], name="person_id_number_unique")]
        indexes = [
            # bytewise columns: one index serves prefix search, equality and the ordered first page of results
            models.Index(fields=["name", "id"], name="person_name_order"),
            models.Index(fields=["name_initials"], name="person_initials_prefix_c"),
            models.Index(fields=["phone_index"], name="person_phone_index"),
            models.Index(fields=["origin_code"], name="person_origin_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.id_number_masked}"


class PersonRevision(models.Model):
    """A change to a person's items (phone, education, occupation …) made by a later declaration or a clerk: the
    values before and after (a phone only masked), who made it and from what. Written only by
    people.services.person_items_update (one declaration) and persons_items_update (a bulk upload)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="revisions")
    at = models.DateTimeField()
    by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    source = models.CharField(max_length=40)  # e.g. "registration.arrival.declared"
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["person", "at"], name="person_revision_at")]

    def __str__(self) -> str:
        return f"person {self.person_id} changed at {self.at:%Y-%m-%d %H:%M}"


class PersonSearchKey(models.Model):
    """One form a person is found by (people.identity.name_forms: the name, its full pinyin and initials for every
    reading) at one area where they are registered (the registration's area path, down to the grid), with the end
    of that registration: a name search is then one index range per area of the searcher's scope, with no join.
    Written only by people.services.person_search_keys_stamp and the demo's COPY."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="search_keys", db_index=False)
    form = BytewiseCharField(max_length=60)
    area_path = BytewiseCharField(max_length=255)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            # a small scope: one range per area, each in form order (the count and a grid worker's page)
            models.Index(fields=["area_path", "form", "person", "ended_on"], name="person_key_area_form"),
            # a large scope: the forms in order, the area read from the index (a district's or the city's page)
            models.Index(fields=["form", "person", "area_path", "ended_on"], name="person_key_form"),
            models.Index(fields=["person", "form"], name="person_key_person"),
        ]

    def __str__(self) -> str:
        return f"{self.form} {self.area_path} ({self.person_id})"


class PhoneChallenge(models.Model):
    """A code sent by SMS to the phone on a person's record, proving that whoever opens their account holds it.

    Only a keyed digest of the code is stored; it expires, allows a few tries, and is used once. A challenge without
    a person is a decoy: the answer to an ID number and phone that match no one (or may not get a code now), made
    and checked like the others so that the forms cannot tell who is registered; no code of it is ever right."""

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("Open an account")
        RESET = "reset", _("Reset the password")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phone_challenges", null=True)
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.SIGNUP)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["person", "created_at"], name="phone_challenge_person")]

    def __str__(self) -> str:
        return f"code for person {self.person_id or '(decoy)'} until {self.expires_at:%Y-%m-%d %H:%M}"


class ReadHold(models.Model):
    """An investigation hold: while it lasts, the reads of this person's record made from its start on are held back
    from the person's own page ("who read my record"); when it ends they show. Placing one is audited."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="read_holds")
    placed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    starts_at = models.DateTimeField(auto_now_add=True)
    until = models.DateTimeField(_("until"))

    def __str__(self) -> str:
        return f"hold on {self.person_id} until {self.until:%Y-%m-%d}"
