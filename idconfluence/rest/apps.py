from django.apps import AppConfig


class RestConfig(AppConfig):
    """An app only so that its templates (the API readers' pages) ship with it."""

    name = "idconfluence.rest"
    label = "idc_rest"
    verbose_name = "REST API"
