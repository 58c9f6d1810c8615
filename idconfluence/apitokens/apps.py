from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    name = "idconfluence.apitokens"
    label = "apitokens"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from idconfluence.apitokens import schema  # noqa: F401 - registers the schema extension
