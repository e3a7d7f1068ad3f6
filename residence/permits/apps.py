from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "residence.permits"
    label = "permits"
    verbose_name = "Permits"

    def ready(self) -> None:
        from residence.people.sections import person_section_register

        # a permit's life after issue: the permit, its next endorsement and history (staff), reminders (/me/)
        from residence.permits.lifecycle_views import permit_section
        person_section_register("permit", permit_section)
