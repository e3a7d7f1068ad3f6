from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "residence.demo"
    label = "demo"
    verbose_name = "Demo"
