import sys

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        from connectors import jobs  # noqa: F401  (registers the background job kinds)

        if sys.argv[1:2] == ["qcluster"]:
            # A worker that imported the SCIM client's models in its first execution spent
            # ~1.5 s of that execution's window on it (14 s on a loaded host, past django-q2's
            # timeout): the cluster imports every connector type before it forks its workers.
            from connectors.registry import all_types

            all_types()
