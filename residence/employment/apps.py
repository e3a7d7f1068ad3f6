from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "residence.employment"
    label = "employment"
    verbose_name = "Employment"

    def ready(self) -> None:
        from residence.employment.views import evidence_section
        from residence.people.sections import person_section_register

        # the evidence seen for a person, on the staff person page of a clerk (people cannot import us)
        person_section_register("evidence", evidence_section)
