from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "residence.employment"
    label = "employment"
    verbose_name = "Employment"
