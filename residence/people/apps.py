from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "residence.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from residence.core.rotation import protect
        from residence.people.identity import ID_CONTEXT, PHONE_CONTEXT

        # what `residence rotatekey field|index` re-encrypts and re-indexes
        protect("people.Person", encrypted="id_number_enc", index="id_number_index", context=ID_CONTEXT)
        protect("people.Person", encrypted="phone_enc", index="phone_index", context=PHONE_CONTEXT)
