"""`manage.py fake_llm`: a local OpenAI-compatible server (see fakes/llm_server.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fakes.llm_server import add_arguments, options_from_args, serve_forever


class Command(BaseCommand):
    help = (
        "Run a fake OpenAI-compatible model server with configurable time to first token, "
        "tokens per second and injected faults."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        namespace = type("Args", (), options)
        fake_options = options_from_args(namespace)  # type: ignore[arg-type]
        try:
            asyncio.run(serve_forever(fake_options, options["host"], options["port"]))
        except KeyboardInterrupt:
            self.stdout.write("stopped")
