"""Auditors read everything (workflows 0009): API tokens too, listed with their prefix only (the
token text is never stored). A view permission and nothing else: they issue and revoke nothing."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AUDITORS = "Auditors"


def grant_view(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("apitokens")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    auditors, _ = Group.objects.get_or_create(name=AUDITORS)
    auditors.permissions.add(
        *Permission.objects.filter(content_type__app_label="apitokens", codename="view_apitoken")
    )


def revoke_view(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    auditors = Group.objects.filter(name=AUDITORS).first()
    if auditors is not None:
        auditors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="apitokens", codename="view_apitoken"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("apitokens", "0001_api_tokens"),
        ("workflows", "0009_access_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_view, revoke_view)]
