from django.apps import AppConfig


class StaysConfig(AppConfig):
    name = "residence.stays"
    label = "stays"
    verbose_name = "Stays"
