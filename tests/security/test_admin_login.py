"""Admin sign-in is throttled (django-axes) and every page carries a Content-Security-Policy
(django-csp) under which the storefront, the widget, the desk and the ops pages still work (the
browser tests load them with it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = [pytest.mark.security, pytest.mark.django_db]

LOGIN = "/admin/login/?next=/admin/"


def _sign_in(client: Client, password: str) -> int:
    response = client.post(LOGIN, {"username": "alex", "password": password})
    return response.status_code


def test_wrong_passwords_lock_the_account_even_for_the_right_one(settings: Any) -> None:
    User.objects.create_user("alex", password="right-2026", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="203.0.113.7")
    failures = [_sign_in(client, f"wrong-{i}") for i in range(settings.AXES_FAILURE_LIMIT)]
    assert failures[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again
    assert failures[-1] == 429  # the limit-th failure locks
    assert _sign_in(client, "right-2026") == 429
    assert "_auth_user_id" not in client.session


def test_a_right_password_below_the_limit_signs_in_and_resets_the_count(settings: Any) -> None:
    User.objects.create_user("alex", password="right-2026", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="203.0.113.8")
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, f"wrong-{i}") == 200
    assert _sign_in(client, "right-2026") == 302
    client.logout()
    assert _sign_in(client, "wrong-again") == 200  # counting starts over


@pytest.mark.parametrize("path", ["/", "/admin/login/"])
def test_pages_carry_a_strict_script_policy(path: str) -> None:
    policy = Client().get(path)["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'self'"]
