from django.apps import AppConfig


class RegistrationsConfig(AppConfig):
    name = "residence.registrations"
    label = "registrations"
    verbose_name = "Registrations"

    def ready(self) -> None:
        from residence.registrations import uploads  # noqa: F401 - registers the declarations' job runner
