"""Articles typed in the admin before passages existed get theirs (later saves keep them)."""

from __future__ import annotations

from django.db import migrations

from knowledge.documents import sections


def split_articles(apps, schema_editor):
    Article = apps.get_model("orders", "KnowledgeArticle")
    Passage = apps.get_model("knowledge", "Passage")
    for article in Article.objects.all():
        Passage.objects.bulk_create(
            Passage(
                article=article,
                position=i,
                title=article.title,
                keywords=article.keywords,
                heading=s.heading,
                text=s.text,
            )
            for i, s in enumerate(sections(article.body))
        )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_passage_search_index")]
    operations = [migrations.RunPython(split_articles, migrations.RunPython.noop)]
