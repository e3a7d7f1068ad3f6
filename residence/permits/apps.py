from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "residence.permits"
    label = "permits"
    verbose_name = "Permits"
