"""The help center's pages: each published article, linked from the bot's answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from knowledge.render import article_html
from orders.models import KnowledgeArticle, StorePolicy


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(KnowledgeArticle, slug=slug, is_published=True)
    context = {"article": found, "body_html": article_html(found.body, StorePolicy.load())}
    return render(request, "knowledge/article.html", context)
