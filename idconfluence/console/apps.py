"""The console's look, shared by every admin page: the favicon, the stylesheet, the header.

Listed before django.contrib.admin in INSTALLED_APPS so its admin/base_site.html is the one the
admin extends (app templates are searched in that order); everything it serves is local.
"""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "idconfluence.console"
    label = "console"
    verbose_name = "Console"
