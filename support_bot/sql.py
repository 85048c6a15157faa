"""Identifier quoting for the few hand-written statements on the chat's hot path, where the ORM's
query compiling cost more than the queries (conversations.services: a message's seq;
conversations.selectors: the turn's reads; pipeline.tracing: the latest runs)."""

from __future__ import annotations

from django.db import models


def sql_name(model: type[models.Model], field: str | None = None) -> str:
    """The model's table, or one field's column, as a double-quoted identifier: standard SQL,
    which both supported databases (SQLite and PostgreSQL) read. Taken from the model, so a
    rename cannot leave a hand-written statement behind."""
    name = model._meta.db_table if field is None else model._meta.get_field(field).column
    return f'"{name}"'
