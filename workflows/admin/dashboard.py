"""The admin index as the console's dashboard (figures in workflows/console/dashboard.py): the
site's own index hook, so the app list and recent actions stay below it."""

from django.contrib import admin

admin.site.index_template = "workflows/admin/index.html"
