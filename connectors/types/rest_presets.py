"""Ready-made REST operation templates for common identity APIs (group membership).

A connector with `preset: msgraph` or `preset: okta` gets these operations; its own
`operations` override them one by one. Templates see the block input (`user`, `group`, ...) and
`base_url`.
"""

from __future__ import annotations

from typing import Any

# Microsoft Graph v1.0: user and group are object ids. A duplicate add answers 400 "One or more
# added object references already exist"; removing a non-member answers 404 (as does a deleted
# group: either way the access is gone, so both count as ALREADY).
MSGRAPH: dict[str, Any] = {
    "add_group_member": {
        "method": "POST",
        "path": "/groups/{{ group }}/members/$ref",
        "json": {"@odata.id": "{{ base_url }}/directoryObjects/{{ user }}"},
        "success": [204],
        "already": [{"status": 400, "contains": "already exist"}],
    },
    "remove_group_member": {
        "method": "DELETE",
        "path": "/groups/{{ group }}/members/{{ user }}/$ref",
        "success": [204],
        "already": [{"status": 404}],
    },
    "get_user": {"method": "GET", "path": "/users/{{ user }}", "success": [200]},
}

# Okta: PUT and DELETE answer 204 whether or not anything changed, so the user's groups are
# read first to tell CHANGED from ALREADY (and to answer a dry run).
_OKTA_CHECK: dict[str, Any] = {
    "method": "GET",
    "path": "/api/v1/users/{{ user }}/groups",
    "present_status": [200],
    "present_value": "{{ group }}",
}
OKTA: dict[str, Any] = {
    "add_group_member": {
        "method": "PUT",
        "path": "/api/v1/groups/{{ group }}/users/{{ user }}",
        "success": [204],
        "check": _OKTA_CHECK,
    },
    "remove_group_member": {
        "method": "DELETE",
        "path": "/api/v1/groups/{{ group }}/users/{{ user }}",
        "success": [204],
        "already": [{"status": 404}],
        "check": _OKTA_CHECK,
    },
    "get_user": {"method": "GET", "path": "/api/v1/users/{{ user }}", "success": [200]},
}

PRESETS: dict[str, dict[str, Any]] = {"msgraph": MSGRAPH, "okta": OKTA}
