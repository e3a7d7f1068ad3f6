from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "residence.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from residence.audit.subjects import subject_register
        from residence.core.rotation import protect
        from residence.people.identity import ID_CONTEXT, PHONE_CONTEXT
        from residence.people.selectors import person_exists, persons_named

        # how the audit trail names persons (only those the viewer may see), and the URL parameter naming one
        subject_register("person", names=persons_named, exists=person_exists, url_kwarg="person_id",
                         unnamed=_("a person outside your area"), noun=_("a person"))

        # what `residence rotatekey field|index` re-encrypts and re-indexes
        protect("people.Person", encrypted="id_number_enc", index="id_number_index", context=ID_CONTEXT)
        protect("people.Person", encrypted="phone_enc", index="phone_index", context=PHONE_CONTEXT)
