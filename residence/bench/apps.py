from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "residence.bench"
    label = "bench"
    verbose_name = "Bench"
