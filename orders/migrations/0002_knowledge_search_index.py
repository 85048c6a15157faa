"""A GIN index for knowledge-base full-text search, on PostgreSQL only (SQLite ranks in Python)."""

from __future__ import annotations

from django.db import migrations

INDEX_SQL = """
CREATE INDEX IF NOT EXISTS orders_knowledge_fts ON orders_knowledgearticle USING GIN (
    (setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
     || setweight(to_tsvector('english'::regconfig, COALESCE(keywords, '')), 'A')
     || setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'B'))
)
"""


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orders_knowledge_fts")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
