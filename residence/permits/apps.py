from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "residence.permits"
    label = "permits"
    verbose_name = "Permits"

    def ready(self) -> None:
        from residence.people.sections import person_section_register
        from residence.permits.sections import permit_section

        # the residence permit (居住证) on the staff person page and the resident's own page (people cannot import us)
        person_section_register("permit", permit_section)
