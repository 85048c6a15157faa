from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class LlmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "llm"

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from llm.config import load_config, validate_config

        # Fail at start, with a clear message, when an endpoint is set but its key is not
        # usable; with no endpoint the offline engine needs nothing.
        validate_config(load_config())
        setting_changed.connect(_forget_gateway, dispatch_uid="llm.reset_gateway")


def _forget_gateway(*, setting: str, **_: Any) -> None:
    if setting == "LLM":
        from llm.gateway import reset_gateway

        reset_gateway()
