"""Who may work the handoff queue: staff holding `desk.work_queue`, and superusers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.db.models import Q, QuerySet

WORK_QUEUE = "desk.work_queue"
LEAD_QUEUE = "desk.lead_queue"


def can_work_queue(user: AbstractBaseUser | AnonymousUser | Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(WORK_QUEUE)
    )


def can_lead_queue(user: AbstractBaseUser | AnonymousUser | Any) -> bool:
    """Desk leads hand out any conversation: a waiting one, or one another agent owns."""
    return can_work_queue(user) and user.has_perm(LEAD_QUEUE)


def work_queue_users() -> QuerySet[Any]:
    """Active staff who hold the permission directly, through a group, or as superusers."""
    permission = Permission.objects.filter(
        content_type__app_label="desk", codename="work_queue"
    ).first()
    holders = Q(is_superuser=True)
    if permission is not None:
        holders |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    return users.filter(pk__in=users.filter(holders).values("pk")).order_by(
        "first_name", "username"
    )


def display_name(user: Any) -> str:
    """The name a customer sees for an agent: the first name, else the login."""
    if user is None:
        return ""
    return user.first_name or user.get_username()
