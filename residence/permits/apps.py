from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "residence.permits"
    label = "permits"
    verbose_name = "Permits"

    def ready(self) -> None:
        from residence.core.middleware import public_api_register
        from residence.people.sections import person_section_register
        from residence.permits.api import permit_verify_short
        from residence.permits.sections import permit_section

        # the residence permit (居住证) on the staff person page and the resident's own page (people cannot import us)
        person_section_register("permit", permit_section)
        # anyone's e-permit check: no session, and the short way for a well-formed anonymous request
        public_api_register("/api/v1/permits/verify", permit_verify_short)
