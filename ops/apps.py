from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Ops staff's side of the admin: dashboard, cost ledger, privacy, golden cases."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ops"
    verbose_name = "Operations"
