from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "residence.audit"
    label = "audit"
    verbose_name = "Audit"
