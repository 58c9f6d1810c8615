from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "idconfluence.ops"
    label = "ops"
    verbose_name = "Operations"
