from django.apps import AppConfig


class RegistrationsConfig(AppConfig):
    name = "residence.registrations"
    label = "registrations"
    verbose_name = "Registrations"

    def ready(self) -> None:
        from residence.people.sections import person_section_register
        from residence.registrations.views import timeline_section

        # the residence timeline on the staff person page and the resident's own page (people cannot import us)
        person_section_register("timeline", timeline_section)
        from residence.registrations import uploads  # noqa: F401 - registers the declarations' job runner
