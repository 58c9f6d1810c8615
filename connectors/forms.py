"""The connector admin form: config checked against the type's JSON Schema, write-only secrets.

A secret is never rendered: its input is always empty, a set secret shows the "********"
placeholder, a blank input keeps the stored value and "clear" removes it. Secrets are encrypted
on save (Connector.set_secrets) and only the type's own `secret_fields` are kept.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from jsonschema import Draft202012Validator

from connectors.models import Connector
from connectors.registry import all_types, get_type, type_choices
from idconfluence.forms import IntakeJSONField

MASK = "********"
CREDENTIAL_INPUT = "secret__"
CLEAR_INPUT = "clear__"


def secret_input(name: str) -> str:
    return f"{CREDENTIAL_INPUT}{name}"


def clear_input(name: str) -> str:
    return f"{CLEAR_INPUT}{name}"


def config_problems(type_name: str, config: dict[str, Any]) -> list[str]:
    """What is wrong with `config` for the type (its JSON Schema, secrets put in config): the one
    check the admin form and the API share."""
    cls = get_type(type_name)
    validator = Draft202012Validator(cls.config_schema)
    problems = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    found = [
        f"{'/'.join(str(part) for part in problem.absolute_path) or '(top level)'}: "
        f"{problem.message}"
        for problem in problems[:10]
    ]
    misplaced = sorted(set(config) & set(cls.secret_fields))
    if misplaced:
        found.append(f"{', '.join(misplaced)} must go in the credential fields, not config.")
    return found


class ConnectorForm(forms.ModelForm):  # type: ignore[type-arg]
    type = forms.ChoiceField(choices=type_choices)
    config = IntakeJSONField(required=False, initial=dict)
    secret_names: ClassVar[tuple[str, ...]] = ()

    class Meta:
        model = Connector
        fields = ["name", "type", "description", "enabled", "config"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.get_secrets() if self.instance.pk else {}
        for name in self.secret_names:
            field = self.fields.get(secret_input(name))
            if field is not None and name in stored:
                field.widget.attrs["placeholder"] = MASK
                field.help_text = "Set. Leave blank to keep it; type a new value to replace it."

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        type_name, config = cleaned.get("type"), cleaned.get("config")
        if not type_name or "config" in self.errors:
            return cleaned
        if not isinstance(config, dict):
            self.add_error("config", "The configuration must be a JSON object.")
            return cleaned
        for problem in config_problems(type_name, config):
            self.add_error("config", problem)
        return cleaned

    def save(self, commit: bool = True) -> Connector:
        # Read the stored secrets before the ModelForm copies fields onto the instance.
        secrets = self.instance.get_secrets() if self.instance.pk else {}
        connector: Connector = super().save(commit=False)
        for name in self.secret_names:
            if self.cleaned_data.get(clear_input(name)):
                secrets.pop(name, None)
            elif self.cleaned_data.get(secret_input(name)):
                secrets[name] = self.cleaned_data[secret_input(name)]
        allowed = set(get_type(connector.type).secret_fields)
        connector.set_secrets({k: v for k, v in secrets.items() if k in allowed})
        if commit:
            connector.save()
        return connector


def secret_names_for(type_name: str | None) -> tuple[str, ...]:
    """The type's secrets; before a type is chosen, every type's (each says which types use it)."""
    types = all_types()
    if type_name in types:
        return types[type_name].secret_fields
    return tuple(sorted({name for cls in types.values() for name in cls.secret_fields}))


def connector_form_for(type_name: str | None) -> type[ConnectorForm]:
    """A ConnectorForm class with password inputs for the secrets of `type_name`."""
    names = secret_names_for(type_name)
    users = {
        n: [t for t, cls in sorted(all_types().items()) if n in cls.secret_fields] for n in names
    }
    attrs: dict[str, Any] = {"secret_names": names}
    for name in names:
        attrs[secret_input(name)] = forms.CharField(
            label=name.replace("_", " ").capitalize(),
            required=False,
            strip=False,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            help_text="" if type_name else f"Used by: {', '.join(users[name])}.",
        )
        attrs[clear_input(name)] = forms.BooleanField(label=f"Clear {name}", required=False)
    return type(f"ConnectorForm_{type_name or 'any'}", (ConnectorForm,), attrs)
