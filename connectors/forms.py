"""The connector admin form: config entered in inputs generated from the type's JSON Schema
(connectors.schema_fields) and checked against it, write-only secrets, and a confirmation
before disabling a connector that published workflows use.

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
from connectors.schema_fields import config_input, from_form, schema_fields, to_form
from idconfluence.forms import IntakeJSONField

MASK = "********"
CREDENTIAL_INPUT = "secret__"
CLEAR_INPUT = "clear__"


def secret_input(name: str) -> str:
    return f"{CREDENTIAL_INPUT}{name}"


def clear_input(name: str) -> str:
    return f"{CLEAR_INPUT}{name}"


def config_problems_at(type_name: str, config: dict[str, Any]) -> list[tuple[list[Any], str]]:
    """What is wrong with `config` for the type (its JSON Schema, secrets put in config), each
    with the path it concerns: the one check the admin form and the API share."""
    cls = get_type(type_name)
    validator = Draft202012Validator(cls.config_schema)
    problems = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    found = []
    for problem in problems[:10]:
        path = list(problem.absolute_path)
        where = "/".join(str(part) for part in path) or "(top level)"
        found.append((path, f"{where}: {problem.message}"))
    misplaced = sorted(set(config) & set(cls.secret_fields))
    if misplaced:
        found.append(([], f"{', '.join(misplaced)} must go in the credential fields, not config."))
    return found


def config_problems(type_name: str, config: dict[str, Any]) -> list[str]:
    return [message for _, message in config_problems_at(type_name, config)]


class ConnectorForm(forms.ModelForm):  # type: ignore[type-arg]
    type = forms.ChoiceField(choices=type_choices)
    config = IntakeJSONField(required=False, initial=dict)
    confirm_disable = forms.BooleanField(
        required=False,
        label="Disable anyway",
        help_text="Needed to disable a connector that published workflows use.",
    )
    secret_names: ClassVar[tuple[str, ...]] = ()
    # The type's schema properties, each with its own input (empty before a type is chosen:
    # then `config` is the JSON box).
    config_specs: ClassVar[dict[str, dict[str, Any]]] = {}
    typed: ClassVar[bool] = False

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
        config = self.instance.config if isinstance(self.instance.config, dict) else {}
        for name, spec in self.config_specs.items():
            if name in config:
                self.fields[config_input(name)].initial = to_form(name, spec, config[name])

    def _typed_config(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        """The config from the generated inputs; stored keys the schema does not list stay."""
        stored = self.instance.config if isinstance(self.instance.config, dict) else {}
        config = {k: v for k, v in stored.items() if k not in self.config_specs}
        for name, spec in self.config_specs.items():
            value = from_form(spec, cleaned.get(config_input(name)))
            if value is not None:
                config[name] = value
        return config

    def _config_error(self, path: list[Any], message: str) -> None:
        """An error next to the input it is about (the JSON box before a type is chosen)."""
        if not self.typed:
            self.add_error("config", message)
        elif path and config_input(str(path[0])) in self.fields:
            self.add_error(config_input(str(path[0])), message)
        else:
            self.add_error(None, message)

    def _check_disabling(self, cleaned: dict[str, Any]) -> None:
        if not (self.instance.pk and self.instance.enabled) or cleaned.get("enabled", True):
            return
        from workflows.selectors import published_workflows_using

        users = published_workflows_using(self.instance.name)
        if users and not cleaned.get("confirm_disable"):
            names = ", ".join(w.name for w in users)
            self.add_error(
                "enabled",
                f"Used by {len(users)} published workflow(s): {names}. Their runs stop at "
                "this connector's steps (parked for review) while it is disabled. Tick "
                "'Disable anyway' to confirm.",
            )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        self._check_disabling(cleaned)
        type_name = cleaned.get("type")
        bad_inputs = any(config_input(name) in self.errors for name in self.config_specs)
        if self.typed and not bad_inputs:
            cleaned["config"] = self._typed_config(cleaned)
        config = cleaned.get("config")
        if not type_name or "config" in self.errors or bad_inputs:
            return cleaned
        if not isinstance(config, dict):
            self.add_error("config", "The configuration must be a JSON object.")
            return cleaned
        for path, problem in config_problems_at(type_name, config):
            self._config_error(path, problem)
        return cleaned

    def save(self, commit: bool = True) -> Connector:
        # Read the stored secrets before the ModelForm copies fields onto the instance.
        secrets = self.instance.get_secrets() if self.instance.pk else {}
        connector: Connector = super().save(commit=False)
        if self.typed:  # the JSON box is not on the page: the inputs make the config
            connector.config = self.cleaned_data["config"]
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
    if type_name in all_types():
        schema = all_types()[type_name].config_schema
        attrs["typed"] = True
        attrs["config_specs"] = dict(schema.get("properties") or {})
        attrs.update(schema_fields(schema))
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
