"""`manage.py check --deploy --fail-level WARNING` under production settings, in a subprocess (so
settings.py is read as production reads it: no pytest, no DJANGO_DEBUG)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.security, pytest.mark.slow]  # each check starts a Django process

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_CHECK = ("check", "--deploy", "--fail-level", "WARNING")


def _production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="chat.store.example",
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",  # not connected to
        DJANGO_SETTINGS_MODULE="support_bot.settings",
    )
    env.update(overrides)
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_under_production_settings(tmp_path: Path) -> None:
    result = _manage(_production_env(tmp_path), *DEPLOY_CHECK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "warning"),
    [
        ({"DJANGO_SECRET_KEY": "short-and-guessable"}, "security.W009"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"DJANGO_HSTS_SECONDS": "0"}, "security.W004"),
    ],
    ids=["weak-secret", "no-ssl-redirect", "no-hsts"],
)
def test_the_deploy_check_fails_on_a_weakened_setting(
    tmp_path: Path, override: dict[str, str], warning: str
) -> None:
    """The passing run above is not vacuous: weaken one setting and the same command fails."""
    result = _manage(_production_env(tmp_path, **override), *DEPLOY_CHECK)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    env.pop("DJANGO_SECRET_KEY")
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
