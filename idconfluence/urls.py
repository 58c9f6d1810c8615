"""URL map: the admin is the console; apps add their own routes."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "idconfluence"
admin.site.site_title = "idconfluence console"
admin.site.index_title = "Identity workflows"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/audit/", include("audit.api_urls")),
    path("hooks/", include("workflows.hooks_urls")),
    path("a/", include("approvals.urls")),  # emailed approval links
]
