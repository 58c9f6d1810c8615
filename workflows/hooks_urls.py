"""Routes for outside systems, mounted at /hooks/: webhook deliveries and resume callbacks."""

from django.urls import path

from workflows import views_hooks

app_name = "hooks"
urlpatterns = [
    path("resume/<str:token>/", views_hooks.resume, name="resume"),
    path("<str:token>/", views_hooks.webhook, name="webhook"),
]
