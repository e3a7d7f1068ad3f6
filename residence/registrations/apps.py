from django.apps import AppConfig


class RegistrationsConfig(AppConfig):
    name = "residence.registrations"
    label = "registrations"
    verbose_name = "Registrations"
