"""An article's text as a customer reads it: policy placeholders filled in, Markdown as HTML."""

from __future__ import annotations

import re

from django.urls import reverse
from markdown_it import MarkdownIt

from orders.models import StorePolicy

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Raw HTML in an article is shown as text, never run: articles come from imported pages.
_MD = MarkdownIt("commonmark", {"html": False})


def fill_policy(body: str, policy: StorePolicy) -> str:
    """Fill {refund_window_days}-style placeholders from the live policy.

    Only bare known names are replaced; everything else stays as written. Not str.format: an
    article holding "{0}" or a JSON example would crash every answer that retrieves it, and
    "{name.attr}" would be evaluated (tests/security: the knowledge-base injections)."""
    values = {
        "refund_window_days": policy.refund_window_days,
        "bot_refund_limit": policy.bot_refund_limit,
        "stalled_after_hours": policy.stalled_after_hours,
        "dispatch_cutoff_hour": policy.dispatch_cutoff_hour,
    }
    return _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), body)


def article_html(body: str, policy: StorePolicy) -> str:
    return _MD.render(fill_policy(body, policy))


def article_url(slug: str, source: str = "") -> str:
    """Where a customer reads the whole article: the page it was imported from, else ours."""
    if source.startswith(("http://", "https://")):
        return source
    return reverse("knowledge:article", kwargs={"slug": slug})
