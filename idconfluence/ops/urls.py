"""Routes for probes and scrapers, mounted at the root (`/healthz`, `/readyz`, `/metrics`)."""

from django.urls import path

from idconfluence.ops import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
