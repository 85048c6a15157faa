"""The staff roles: groups exist after migrate, hold what each role needs, and no more (neither
can change the store policy, agents cannot see the dashboard) unless an admin grants it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from desk.models import HandoffQueue
from ops.roles import OPS, PRIVACY_OFFICERS, ROLES, SUPPORT_AGENTS, ensure_roles
from orders.models import StorePolicy
from tests.ops.trace_builders import make_trace, staff_user

pytestmark = pytest.mark.django_db


def _codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app}.{code}"
        for app, code in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_groups_exist_after_migrate_with_every_listed_permission() -> None:
    # post_migrate created them in the test database; nothing here calls ensure_roles.
    for name, wanted in ROLES.items():
        assert _codenames(name) == set(wanted), name


def test_ensure_roles_is_idempotent_and_keeps_extra_grants() -> None:
    extra = Permission.objects.get(codename="change_storepolicy")
    Group.objects.get(name=OPS).permissions.add(extra)

    ensure_roles()
    ensure_roles()

    assert Group.objects.filter(name__in=ROLES).count() == len(ROLES) == 4
    assert _codenames(OPS) == {*ROLES[OPS], "orders.change_storepolicy"}


def test_ops_can_view_transcripts_traces_and_dashboard_but_not_change(client) -> None:
    trace = make_trace()
    user = staff_user("olive", OPS)
    client.force_login(user)
    conversation_url = reverse(
        "admin:conversations_conversation_change", args=[trace.conversation_id]
    )

    assert client.get(reverse("ops:dashboard")).status_code == 200
    assert client.get(reverse("ops:ledger")).status_code == 200
    assert client.get(conversation_url).status_code == 200
    assert (
        client.get(reverse("admin:pipeline_pipelinetrace_change", args=[trace.pk])).status_code
        == 200
    )
    assert client.post(conversation_url, {"status": "resolved"}).status_code == 403
    assert not user.has_perm("conversations.change_conversation")
    assert not user.has_perm("pipeline.delete_pipelinetrace")
    assert not user.has_perm("desk.work_queue")


def test_agents_work_the_queue_but_cannot_see_the_dashboard_unless_granted(client) -> None:
    user = staff_user("dana", SUPPORT_AGENTS)
    client.force_login(user)

    assert user.has_perm("desk.work_queue")
    assert user.has_perm("desk.change_handoffqueue")
    assert user.has_perm("desk.add_conversationnote")
    assert not user.has_perm("desk.change_cannedresponse")
    assert client.get(reverse("ops:dashboard")).status_code == 403
    assert client.get(reverse("ops:ledger")).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    client.force_login(type(user).objects.get(pk=user.pk))  # fresh permission cache
    assert client.get(reverse("ops:dashboard")).status_code == 200


def test_only_privacy_officers_export_and_erase_customers() -> None:
    officer = staff_user("priya", PRIVACY_OFFICERS)
    assert officer.has_perm("ops.export_customer") and officer.has_perm("ops.erase_customer")
    assert officer.has_perm("orders.view_customer")  # the admin actions sit on its changelist
    assert not officer.has_perm("orders.change_customer")
    for group in (OPS, SUPPORT_AGENTS):
        user = staff_user(f"not-{group}", group)
        assert not user.has_perm("ops.export_customer")
        assert not user.has_perm("ops.erase_customer")


@pytest.mark.parametrize("group", [OPS, SUPPORT_AGENTS, PRIVACY_OFFICERS])
def test_no_role_can_edit_the_store_policy(client, group: str) -> None:
    policy = StorePolicy.load()
    user = staff_user("someone", group)
    client.force_login(user)
    url = reverse("admin:orders_storepolicy_change", args=[policy.pk])

    assert client.get(url).status_code == 403
    response = client.post(url, {"refund_window_days": 365, "bot_refund_limit": "9999"})

    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.bot_refund_limit != 9999
    assert not user.has_perm("orders.change_storepolicy")


def test_anonymous_users_are_sent_to_the_admin_login(client) -> None:
    response = client.get(reverse("ops:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_handoff_queue_proxy_permissions_are_the_agents(client) -> None:
    codename = HandoffQueue._meta.permissions[0][0]
    assert f"desk.{codename}" in ROLES[SUPPORT_AGENTS]
    assert f"desk.{codename}" not in ROLES[OPS]


def test_admin_index_links_the_dashboard_only_for_those_who_may_see_it(client) -> None:
    client.force_login(staff_user("olive", OPS))
    assert reverse("ops:dashboard") in client.get(reverse("admin:index")).content.decode()

    client.force_login(staff_user("dana", SUPPORT_AGENTS))
    assert reverse("ops:dashboard") not in client.get(reverse("admin:index")).content.decode()
