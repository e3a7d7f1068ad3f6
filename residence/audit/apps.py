from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "residence.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from residence.audit.services import event_record
        from residence.core.jobs import job_events_record

        job_events_record(event_record)  # core sits below audit: it is handed the recorder
