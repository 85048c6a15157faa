from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Ops staff's side of the admin: dashboard, cost ledger, privacy, golden cases."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from ops.roles import ensure_roles_after_migrate

        # Sent for the ops app only: by then auth, orders, conversations, pipeline and desk
        # have created their permissions, which the roles need.
        post_migrate.connect(ensure_roles_after_migrate, sender=self)
