"""The project's URLs plus the bare one-insert view, for bench/webhook_ack.py only."""

from django.urls import path

from bench.bare_app import bare
from idconfluence.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
