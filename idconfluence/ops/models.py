"""Heartbeats: the last sign of life of the processes that run elsewhere (the django-q2 cluster,
the watchdog), in the database so every web process on every host reads the same answer."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    name = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S} ({self.host}:{self.pid})"
