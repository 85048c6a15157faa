"""The knowledge base's passages and where imported articles came from. The articles themselves
are orders.KnowledgeArticle (the store's data); a passage is one heading's section of one."""

from __future__ import annotations

from django.db import models

from orders.models import KnowledgeArticle


class ArticleSource(models.Model):
    """The file or web page an article was imported from, and what it looked like then."""

    class Kind(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        HTML = "html", "HTML"
        PDF = "pdf", "PDF"

    article = models.OneToOneField(
        KnowledgeArticle, on_delete=models.CASCADE, related_name="source"
    )
    location = models.CharField(max_length=500, unique=True, help_text="URL or file path.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    content_hash = models.CharField(max_length=64)
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location"]

    def __str__(self) -> str:
        return self.location

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("http://", "https://"))


class Passage(models.Model):
    """One section of an article under its heading: what search ranks and answers quote. Kept in
    step with the full-text index by triggers on SQLite (migration 0002) and a GIN expression
    index on PostgreSQL."""

    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=160)  # the article's, so the index needs no join
    keywords = models.CharField(max_length=200, blank=True)  # the article's too
    heading = models.CharField(max_length=200, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="passage_article_position")
        ]

    def __str__(self) -> str:
        return f"{self.title} / {self.heading}" if self.heading else self.title
