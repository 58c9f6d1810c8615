"""A directory kept in this product's own database: for demos, sandboxes and tools with no API.

It is a real target (grants persist and can be audited), so the demo workflow provisions
something a person can look at without any external server.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from connectors.base import CallOptions, Connector, Outcome, Result

_KINDS = {
    "provision_access": ("access", True),
    "revoke_access": ("access", False),
    "assign_role": ("role", True),
    "remove_role": ("role", False),
    "add_group_member": ("group", True),
    "remove_group_member": ("group", False),
}


class LocalDirectoryConnector(Connector):
    type_name = "local"
    label = "Local directory (built in)"
    operations = frozenset({*_KINDS, "get_user"})
    config_schema = {"type": "object", "additionalProperties": False}

    def _model(self) -> Any:
        from connectors.models import Connector as ConnectorModel

        return ConnectorModel.objects.get(name=self.name)

    def _change(self, operation: str, user: str, value: str, options: CallOptions) -> Result:
        from connectors.models import LocalGrant

        kind, grant = _KINDS[operation]
        connector = self._model()
        grants = LocalGrant.objects.filter(connector=connector, user=user, kind=kind, value=value)
        present = grants.exists()
        if present == grant:
            state = "holds" if grant else "does not hold"
            return Result(Outcome.ALREADY, f"{user} already {state} {kind} {value}")
        verb = "grant" if grant else "remove"
        if options.dry_run:
            return Result(Outcome.WOULD_CHANGE, f"would {verb} {kind} {value} for {user}")
        if grant:
            try:
                with transaction.atomic():
                    LocalGrant.objects.create(
                        connector=connector, user=user, kind=kind, value=value
                    )
            except IntegrityError:
                return Result(Outcome.ALREADY, f"{user} already holds {kind} {value}")
        else:
            grants.delete()
        return Result(Outcome.CHANGED, f"{verb} {kind} {value} for {user}")

    def op_provision_access(self, *, user: str, resource: str, options: CallOptions) -> Result:
        return self._change("provision_access", user, resource, options)

    def op_revoke_access(self, *, user: str, resource: str, options: CallOptions) -> Result:
        return self._change("revoke_access", user, resource, options)

    def op_assign_role(self, *, user: str, role: str, options: CallOptions) -> Result:
        return self._change("assign_role", user, role, options)

    def op_remove_role(self, *, user: str, role: str, options: CallOptions) -> Result:
        return self._change("remove_role", user, role, options)

    def op_add_group_member(self, *, user: str, group: str, options: CallOptions) -> Result:
        return self._change("add_group_member", user, group, options)

    def op_remove_group_member(self, *, user: str, group: str, options: CallOptions) -> Result:
        return self._change("remove_group_member", user, group, options)

    def op_get_user(self, *, user: str, options: CallOptions) -> Result:
        from connectors.models import LocalGrant

        rows = LocalGrant.objects.filter(connector__name=self.name, user=user).order_by(
            "kind", "value"
        )
        held: dict[str, list[str]] = {"access": [], "role": [], "group": []}
        for kind, value in rows.values_list("kind", "value"):
            held[kind].append(value)
        return Result(
            Outcome.ALREADY, f"{user} holds {rows.count()} grants", {"user": user, **held}
        )

    def test_connection(self, *, timeout: float) -> Result:
        self._model()
        return Result(Outcome.ALREADY, "local directory is reachable")
