from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="Passage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField()),
                ("title", models.CharField(max_length=160)),
                ("keywords", models.CharField(blank=True, max_length=200)),
                ("heading", models.CharField(blank=True, max_length=200)),
                ("text", models.TextField()),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="passages",
                        to="orders.knowledgearticle",
                    ),
                ),
            ],
            options={"ordering": ["article", "position"]},
        ),
        migrations.AddConstraint(
            model_name="passage",
            constraint=models.UniqueConstraint(
                fields=("article", "position"), name="passage_article_position"
            ),
        ),
        migrations.CreateModel(
            name="ArticleSource",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "location",
                    models.CharField(help_text="URL or file path.", max_length=500, unique=True),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("markdown", "Markdown"), ("html", "HTML"), ("pdf", "PDF")],
                        max_length=10,
                    ),
                ),
                ("content_hash", models.CharField(max_length=64)),
                ("etag", models.CharField(blank=True, max_length=200)),
                ("last_modified", models.CharField(blank=True, max_length=64)),
                ("imported_at", models.DateTimeField(auto_now=True)),
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="source",
                        to="orders.knowledgearticle",
                    ),
                ),
            ],
            options={"ordering": ["location"]},
        ),
    ]
