from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "residence.people"
    label = "people"
    verbose_name = "People"
