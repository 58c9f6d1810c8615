"""Connector operations: `get(name)` hands out a ready instance; `connector_*` change connectors.

Other apps call `get`; the admin and management commands call `connector_test` (health check)
and `connector_rotate_secrets` (re-encryption under the newest key).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit import services as audit_services
from connectors import crypto
from connectors.access import CONNECTORS
from connectors.base import Connector as ConnectorType
from connectors.base import Outcome, Result
from connectors.models import Connector, HealthStatus
from idconfluence.conf import idc_settings

logger = logging.getLogger("connectors")


class ConnectorNotFound(LookupError):
    pass


def get(name: str) -> ConnectorType:
    """A connector instance built from the current config (a fixed config applies on retry)."""
    try:
        row = Connector.objects.get(name=name)
    except Connector.DoesNotExist:
        raise ConnectorNotFound(f"no connector named {name!r}") from None
    if not row.enabled:
        raise ConnectorNotFound(f"connector {name!r} is disabled")
    instance: ConnectorType = row.instance()
    return instance


def supported_operations() -> dict[str, frozenset[str]]:
    """Each configured connector's operations, for validating a draft before publishing."""
    from connectors.registry import all_types

    types = all_types()
    return {
        name: (types[type_name].operations if type_name in types else frozenset())
        for name, type_name in Connector.objects.values_list("name", "type")
    }


def get_many(names: set[str]) -> dict[str, ConnectorType | ConnectorNotFound]:
    """Instances for several connectors in one query (an execution loads its connectors once,
    inside its claim transaction); a missing or disabled one maps to the error to report."""
    rows = {row.name: row for row in Connector.objects.filter(name__in=names)}
    found: dict[str, ConnectorType | ConnectorNotFound] = {}
    for name in names:
        row = rows.get(name)
        if row is None:
            found[name] = ConnectorNotFound(f"no connector named {name!r}")
        elif not row.enabled:
            found[name] = ConnectorNotFound(f"connector {name!r} is disabled")
        else:
            found[name] = row.instance()
    return found


_INSTANCES_KEPT = 256
_instances: OrderedDict[tuple[str, str], ConnectorType] = OrderedDict()


def get_current(
    states: dict[str, list[Any]], names: set[str]
) -> dict[str, ConnectorType | ConnectorNotFound]:
    """As `get_many`, from each connector's [enabled, fingerprint] read with the execution's
    claim: an instance built once per fingerprint of its type, config and secrets is reused (no
    query, no decryption), and any change to the row gives a new one."""
    found: dict[str, ConnectorType | ConnectorNotFound] = {}
    for name in names:
        state = states.get(name)
        if state is None:
            found[name] = ConnectorNotFound(f"no connector named {name!r}")
            continue
        enabled, fingerprint = state
        if not enabled:
            found[name] = ConnectorNotFound(f"connector {name!r} is disabled")
            continue
        key = (name, str(fingerprint))
        instance = _instances.get(key)
        if instance is None:
            try:
                instance = _instances[key] = get(name)
            except ConnectorNotFound as exc:  # removed or disabled since the claim read it
                found[name] = exc
                continue
            while len(_instances) > _INSTANCES_KEPT:
                _instances.popitem(last=False)
        else:
            _instances.move_to_end(key)
        found[name] = instance
    return found


def connector_create(
    *,
    name: str,
    type: str,
    actor: Any,
    config: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    description: str = "",
    enabled: bool = True,
) -> Connector:
    """A new connector, validated as the admin does; its creator gets view/use/change on it.

    A person needs `add_connector`. Secrets are encrypted and never audited (only their names).
    """
    CONNECTORS.require_person(actor, "add")
    connector = Connector(
        name=name, type=type, config=config or {}, description=description, enabled=enabled
    )
    connector.set_secrets(secrets or {})
    connector.full_clean()  # name format, uniqueness, text rules: a ValidationError by field
    with transaction.atomic():
        connector.save()
        CONNECTORS.grant_creator(actor, connector)
        audit_services.record(
            action="connector.created",
            actor=actor,
            target=connector,
            details={"type": type, "secrets": sorted(connector.masked_secrets())},
        )
    return connector


def connector_test(*, connector: Connector, actor: Any) -> Result:
    """Check reachability and credentials now; store the health on the row and audit the check.

    The network check runs outside any transaction (it may take the whole window); the row
    update and its audit event are written together afterwards. A person needs `change`.
    """
    CONNECTORS.require_person(actor, "change", connector)
    timeout = float(idc_settings.EXECUTION_WINDOW_SECONDS)
    redact: Any = str
    try:
        instance = connector.instance()
        redact = instance.redact
        result = instance.test_connection(timeout=timeout)
    except Exception as exc:  # a broken config or unknown type is a finding, not a crash
        result = Result(Outcome.PERMANENT, f"{type(exc).__name__}: {exc}")
    message = redact(result.message)[:2000]
    status = HealthStatus.OK if result.ok else HealthStatus.FAILING
    with transaction.atomic():
        connector.health_status = status
        connector.health_message = message
        connector.health_checked_at = timezone.now()
        connector.save(update_fields=["health_status", "health_message", "health_checked_at"])
        audit_services.record(
            action="connector.health_checked",
            actor=actor,
            target=connector,
            details={
                "status": status.value,
                "outcome": result.outcome.value,
                "message": message,
                "attempts": result.attempts,
                "duration_ms": result.duration_ms,
            },
        )
    logger.info("connector %s health checked: %s: %s", connector.name, status.value, message)
    return Result(result.outcome, message, {}, result.attempts, result.duration_ms)


def connector_rotate_secrets() -> int:
    """Re-encrypt every connector's secrets under the newest IDC_ENCRYPTION_KEYS key.

    Run after putting a new key first in IDC_ENCRYPTION_KEYS; once it has run, the older keys
    can be removed. Returns how many connectors were re-encrypted.
    """
    rotated = 0
    with transaction.atomic():
        rows = Connector.objects.select_for_update().exclude(secrets_encrypted="")
        for row in rows.only("pk", "secrets_encrypted"):
            row.secrets_encrypted = crypto.rotate(row.secrets_encrypted)
            row.save(update_fields=["secrets_encrypted"])
            rotated += 1
        audit_services.record(action="connector.keys_rotated", details={"connectors": rotated})
    return rotated


def connector_save(
    *, connector: Connector, secrets: dict[str, str | None] | None = None, actor: Any
) -> Connector:
    """Store a new or changed connector. In `secrets` a value sets that secret, None clears it
    and a name left out keeps it; only the type's own secret fields are kept. The audit event
    names the secrets changed, never their values."""
    from connectors.registry import get_type

    created = connector.pk is None
    stored = {} if created else Connector.objects.get(pk=connector.pk).get_secrets()
    for name, value in (secrets or {}).items():
        if value is None:
            stored.pop(name, None)
        else:
            stored[name] = value
    allowed = set(get_type(connector.type).secret_fields)
    connector.set_secrets({k: v for k, v in stored.items() if k in allowed})
    with transaction.atomic():
        connector.full_clean(exclude=["secrets_encrypted"])
        connector.save()
        if created:
            CONNECTORS.grant_creator(actor, connector)
        audit_services.record(
            action="connector.created" if created else "connector.changed",
            actor=actor,
            target=connector,
            details={
                "type": connector.type,
                "enabled": connector.enabled,
                "config_keys": sorted(connector.config),
                "secrets_changed": sorted(secrets or {}),
            },
        )
    return connector
