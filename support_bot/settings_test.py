"""The test suite's settings (pyproject.toml names them for pytest-django): the project's own,
read as production reads them, with what tests need on top. Nothing in support_bot/settings.py
asks whether it runs under a test."""

from __future__ import annotations

import os

# Production refuses to start without a key; tests sign nothing that outlives them.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-never-used-outside-the-test-suite")
# A store on another origin, for the widget's CORS and websocket Origin tests.
os.environ.setdefault("WIDGET_ALLOWED_ORIGINS", "https://shop.example")

from support_bot.settings import *  # noqa: F403
from support_bot.settings import ALLOWED_HOSTS, DATABASES, STORAGES

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver", "localhost", "127.0.0.1"]
# Test databases are created and dropped per run; a kept-open connection would hold them.
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for test users only
# The manifest storage needs collectstatic; tests render pages without it.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client speaks plain HTTP; production's HTTPS redirect and secure cookies stay off.
SECURE_PROXY_SSL_HEADER = None
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
