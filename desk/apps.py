from __future__ import annotations

from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The agents' handoff desk: queue, assignment, the console."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "desk"
    verbose_name = "Handoff desk"
