from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "idconfluence.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
