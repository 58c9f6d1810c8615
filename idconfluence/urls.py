"""URL map: the admin is the console; apps add their own routes."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "idconfluence"
admin.site.site_title = "idconfluence console"
admin.site.index_title = "Identity workflows"
# The product has no public site: no "View site" link to a page that does not exist.
admin.site.site_url = None

# A database that refuses outside any view's reach is still a 503 with Retry-After, not a 500.
handler500 = "idconfluence.ops.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("idconfluence.api_urls")),
    path("api/audit/", include("audit.api_urls")),
    path("hooks/", include("workflows.hooks_urls")),
    path("a/", include("approvals.urls")),  # emailed approval links
    path("", include("idconfluence.ops.urls")),
]
