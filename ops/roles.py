"""The staff roles as auth groups: "Support agents" work the handoff queue, "Desk leads" may also
hand out any conversation (reassign another agent's), "Ops" read transcripts, traces and the
dashboard, "Privacy officers" answer data-subject requests (export a customer's
data, erase a customer). Created after every migrate so each database has them.

Erasure cannot be undone, so it is its own role rather than part of read-only Ops: an admin puts
the one or two people who handle such requests in that group.

Permissions are only ever added, never removed: an admin who grants a group something extra
(say, changing the store policy) keeps that grant across migrations.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

SUPPORT_AGENTS = "Support agents"
DESK_LEADS = "Desk leads"
OPS = "Ops"
PRIVACY_OFFICERS = "Privacy officers"

_STORE_VIEW = [
    "orders.view_customer",
    "orders.view_order",
    "orders.view_orderitem",
    "orders.view_shipment",
    "orders.view_trackingevent",
    "orders.view_refund",
]
_TRANSCRIPT_VIEW = [
    "conversations.view_conversation",
    "conversations.view_message",
    "pipeline.view_pipelinetrace",
    "pipeline.view_modelcall",
]

ROLES: dict[str, list[str]] = {
    SUPPORT_AGENTS: [
        *_TRANSCRIPT_VIEW,
        *_STORE_VIEW,
        "desk.work_queue",
        "desk.view_handoffqueue",
        "desk.change_handoffqueue",
        "desk.view_conversationnote",
        "desk.add_conversationnote",
        "desk.view_cannedresponse",
    ],
    DESK_LEADS: ["desk.lead_queue"],  # on top of Support agents: hand out any conversation
    OPS: [
        *_TRANSCRIPT_VIEW,
        *_STORE_VIEW,
        "desk.view_handoffevent",
        "ops.view_dashboard",
        "ops.view_goldencase",
    ],
    PRIVACY_OFFICERS: [
        *_STORE_VIEW,
        "conversations.view_conversation",
        "conversations.view_message",
        "ops.export_customer",
        "ops.erase_customer",
    ],
}


def _permissions(names: list[str]) -> list[Permission]:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query))


def ensure_roles() -> dict[str, int]:
    """Create the groups and add their permissions; returns how many each group now holds
    of the role's list (a permission whose app is not migrated yet is simply skipped)."""
    held = {}
    for name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = _permissions(wanted)
        group.permissions.add(*permissions)
        held[name] = len(permissions)
    return held


def ensure_roles_after_migrate(*, using: str = "default", **_: Any) -> None:
    """post_migrate receiver (sent once per app; connected for the ops app only, which comes
    after auth, orders, conversations, pipeline and desk, so their permissions exist)."""
    if using != "default":
        return
    ensure_roles()
