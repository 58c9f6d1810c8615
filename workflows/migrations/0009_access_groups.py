"""The four roles as groups with their model (global) permissions; object permissions (guardian)
are given per workflow, connector and task on top. Auditors (audit 0003) is kept and extended to
read everything: every view permission of the product's models, and nothing else.

Global vs per object, on purpose:
- Compliance managers may create workflows and connectors (add_*) and edit blocks and edges
  (scoped by WORKFLOWS `change` on the draft's workflow); they see and change only the
  workflows and connectors they created or were given (object permissions).
- Operators see every workflow, run, execution, step, trigger, connector and task, operate
  executions (retry, re-trigger, mark handled, cancel) and re-assign, cancel or resend tasks.
- Approvers hold no global permission: they decide the tasks assigned to them (by link or
  *My tasks*), or a task they were given `decide` on.
- Auditors read everything and export the audit log (view on audit events); they change nothing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = (
    "workflows",
    "connectors",
    "approvals",
    "audit",
    "jobs",
    "ops",
    "auth",
    "guardian",
    "django_q",
)

ROLES = {
    "Compliance managers": [
        "workflows.add_workflow",
        "workflows.add_block",
        "workflows.change_block",
        "workflows.delete_block",
        "workflows.view_block",
        "workflows.add_edge",
        "workflows.change_edge",
        "workflows.delete_edge",
        "workflows.view_edge",
        "connectors.add_connector",
    ],
    "Operators": [
        "workflows.view_workflow",
        "workflows.view_workflowversion",
        "workflows.view_block",
        "workflows.view_edge",
        "workflows.view_run",
        "workflows.view_execution",
        "workflows.view_parkedexecution",
        "workflows.view_step",
        "workflows.view_triggerschedule",
        "workflows.view_webhookendpoint",
        "workflows.view_webhookdelivery",
        "workflows.operate_execution",
        "connectors.view_connector",
        "approvals.view_approvaltask",
        "approvals.change_approvaltask",
    ],
    "Approvers": [],
}
AUDITORS = "Auditors"


def _ensure_permissions(apps):
    # Permissions are normally created after all migrations; the groups need them now.
    for label in APPS:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _perms(Permission, labels):
    found = []
    for label in labels:
        app_label, codename = label.split(".")
        found.extend(
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )
    return found


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, labels in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_perms(Permission, labels))
    auditors, _ = Group.objects.get_or_create(name=AUDITORS)
    auditors.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=APPS, codename__startswith="view_")
    )


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=list(ROLES)).delete()
    auditors = Group.objects.filter(name=AUDITORS).first()
    if auditors is not None:
        auditors.permissions.set(
            auditors.permissions.filter(content_type__app_label="audit", codename="view_auditevent")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0008_access_four_eyes_changed_by"),
        ("approvals", "0003_access_decide_permission"),
        ("connectors", "0002_text_refuses_control_characters"),
        ("audit", "0004_pending_events"),
        ("jobs", "0001_initial"),
        ("ops", "0001_initial"),
        ("guardian", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
