"""Heartbeats, and the one-minute django-q2 schedule by which a cluster records its own."""

from django.db import migrations, models

NAME = "idconfluence.cluster_heartbeat"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "idconfluence.ops.tasks.cluster_heartbeat",
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                ("name", models.CharField(max_length=50, primary_key=True, serialize=False)),
                ("beat_at", models.DateTimeField()),
                ("host", models.CharField(blank=True, max_length=255)),
                ("pid", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
