"""The passages' full-text index: an FTS5 table kept in step by triggers on SQLite (so a cascade
delete or a raw update cannot leave it stale), a GIN expression index on PostgreSQL."""

from __future__ import annotations

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE knowledge_passage_fts USING fts5(title, keywords, heading, text, "
    "content='knowledge_passage', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER knowledge_passage_ai AFTER INSERT ON knowledge_passage BEGIN "
    "INSERT INTO knowledge_passage_fts(rowid, title, keywords, heading, text) "
    "VALUES (new.id, new.title, new.keywords, new.heading, new.text); END",
    "CREATE TRIGGER knowledge_passage_ad AFTER DELETE ON knowledge_passage BEGIN "
    "INSERT INTO knowledge_passage_fts(knowledge_passage_fts, rowid, title, keywords, heading, text) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.heading, old.text); END",
    "CREATE TRIGGER knowledge_passage_au AFTER UPDATE ON knowledge_passage BEGIN "
    "INSERT INTO knowledge_passage_fts(knowledge_passage_fts, rowid, title, keywords, heading, text) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.heading, old.text); "
    "INSERT INTO knowledge_passage_fts(rowid, title, keywords, heading, text) "
    "VALUES (new.id, new.title, new.keywords, new.heading, new.text); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS knowledge_passage_au",
    "DROP TRIGGER IF EXISTS knowledge_passage_ad",
    "DROP TRIGGER IF EXISTS knowledge_passage_ai",
    "DROP TABLE IF EXISTS knowledge_passage_fts",
]
POSTGRES = (
    "CREATE INDEX IF NOT EXISTS knowledge_passage_fts ON knowledge_passage USING GIN ("
    "(setweight(to_tsvector('english'::regconfig, title || ' ' || keywords), 'A')"
    " || setweight(to_tsvector('english'::regconfig, heading), 'B')"
    " || setweight(to_tsvector('english'::regconfig, text), 'C')))"
)


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in SQLITE if vendor == "sqlite" else [POSTGRES] if vendor == "postgresql" else []:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_passage_fts")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
