from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """The staff workbench shell: home page per role, `serve` and `worker` commands. Interface only."""

    name = "residence.workbench"
    label = "workbench"
    verbose_name = "Workbench"
