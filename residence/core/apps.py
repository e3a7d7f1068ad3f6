from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "residence.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from residence.core.lean import connection_prepare

        connection_created.connect(connection_prepare, dispatch_uid="residence.core.lean.connection_prepare")
