"""Importing help-center files and pages into the knowledge base, and keeping passages in step
with their article. Each document is saved in its own transaction: one that fails is reported
and skipped, and never leaves an article without its passages or its source."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from knowledge import documents
from knowledge.documents import Document, DocumentError
from knowledge.fetch import Fetcher, FetchError, Page
from knowledge.models import ArticleSource, Passage
from knowledge.search import index_optimize
from orders.models import KnowledgeArticle

FILE_KINDS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SITEMAP_URLS = 2000
OPTIMIZE_AFTER = 50  # articles written by one import before the FTS5 index is merged
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # location, reason


def passages_rebuild(article: KnowledgeArticle) -> int:
    """Split the article under its headings again; the FTS triggers follow the rows."""
    found = documents.sections(article.body)
    Passage.objects.filter(article=article).delete()
    Passage.objects.bulk_create(
        Passage(
            article=article,
            position=i,
            title=article.title,
            keywords=article.keywords,
            heading=s.heading,
            text=s.text,
        )
        for i, s in enumerate(found)
    )
    return len(found)


def passages_rebuild_on_save(sender: object, instance: KnowledgeArticle, **_: object) -> None:
    passages_rebuild(instance)


def knowledge_import(locations: Iterable[str], *, fetcher: Fetcher | None = None) -> ImportReport:
    """Files, folders (their .md, .html and .pdf files), web pages and sitemaps."""
    report = ImportReport()
    owned = fetcher is None
    fetcher = fetcher or Fetcher()
    try:
        for location in _expand(locations, fetcher, report):
            _import_one(location, fetcher, report)
    finally:
        if owned:
            fetcher.close()
    if len(report.created) + len(report.updated) >= OPTIMIZE_AFTER:
        index_optimize()
    return report


def knowledge_resync(*, fetcher: Fetcher | None = None) -> ImportReport:
    """Every article imported from a URL, again: the pages that changed are updated."""
    urls = [s.location for s in ArticleSource.objects.all() if s.is_url]
    return knowledge_import(urls, fetcher=fetcher)


def knowledge_import_upload(name: str, content: bytes) -> ImportReport:
    """One uploaded file (the admin's import page): named by its file name."""
    report = ImportReport()
    kind = FILE_KINDS.get(Path(name).suffix.lower())
    if kind is None:
        report.failed.append((name, "not a .md, .html or .pdf file"))
    elif len(content) > MAX_FILE_BYTES:
        report.failed.append((name, f"larger than {MAX_FILE_BYTES} bytes"))
    else:
        _save_reported(name, kind, content, report)
    return report


def _expand(locations: Iterable[str], fetcher: Fetcher, report: ImportReport) -> Iterator[str]:
    for location in locations:
        if "://" in location:  # the fetcher refuses what is not http or https
            yield location
            continue
        path = Path(location).resolve()  # one location per file, however it was named
        if path.is_dir():
            yield from (str(p) for p in sorted(path.rglob("*")) if p.suffix.lower() in FILE_KINDS)
        elif path.is_file():
            yield str(path)
        else:
            report.failed.append((location, "no such file or folder"))


def _import_one(location: str, fetcher: Fetcher, report: ImportReport) -> None:
    if "://" not in location:
        kind = FILE_KINDS.get(Path(location).suffix.lower())
        if kind is None:
            report.failed.append((location, "not a .md, .html or .pdf file"))
            return
        content = Path(location).read_bytes()
        if len(content) > MAX_FILE_BYTES:
            report.failed.append((location, f"larger than {MAX_FILE_BYTES} bytes"))
            return
        _save_reported(location, kind, content, report)
        return
    source = ArticleSource.objects.filter(location=location).first()
    try:
        page = fetcher.get(
            location,
            etag=source.etag if source else "",
            last_modified=source.last_modified if source else "",
        )
    except FetchError as exc:
        report.failed.append((location, str(exc)))
        return
    if page.not_modified:
        report.unchanged.append(location)
    elif page.kind == "sitemap":
        for url in _sitemap_urls(page, report):
            _import_one(url, fetcher, report)
    else:
        _save_reported(location, page.kind, page.content, report, page=page)


def _sitemap_urls(page: Page, report: ImportReport) -> list[str]:
    try:
        root = ET.fromstring(page.content)
    except ET.ParseError as exc:
        report.failed.append((page.url, f"not a sitemap ({exc})"))
        return []
    urls = [el.text.strip() for el in root.iter(f"{_SITEMAP_NS}loc") if el.text]
    return urls[:MAX_SITEMAP_URLS]


def _save_reported(
    location: str, kind: str, content: bytes, report: ImportReport, *, page: Page | None = None
) -> None:
    try:
        outcome = _save(location, kind, content, page)
    except DocumentError as exc:
        report.failed.append((location, str(exc)))
        return
    getattr(report, outcome).append(location)


def _parse(location: str, kind: str, content: bytes) -> Document:
    if kind == "pdf":
        return documents.from_pdf(location, content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{location}: not UTF-8 text") from exc
    if kind == "html":
        return documents.from_html(location, text)
    return documents.from_markdown(location, text)


def _save(location: str, kind: str, content: bytes, page: Page | None) -> str:
    digest = hashlib.sha256(content).hexdigest()
    source = ArticleSource.objects.filter(location=location).select_related("article").first()
    # An imported article's source is its truth: one edited here since (in the admin, or by
    # orders.demo's seed of the same slugs) is written over again, even from an unchanged source.
    if (
        source is not None
        and source.content_hash == digest
        and source.article.updated_at <= source.imported_at
    ):
        _remember_validators(source, page)
        return "unchanged"
    document = _parse(location, kind, content)
    with transaction.atomic():
        article = (
            source.article
            if source
            else KnowledgeArticle.objects.filter(slug=document.slug).first()
        )
        created = article is None
        article = article or KnowledgeArticle(slug=document.slug)
        article.title, article.body = document.title, document.body
        if document.keywords:
            article.keywords = document.keywords
        article.save()  # the post_save signal splits it into passages
        ArticleSource.objects.update_or_create(
            article=article,
            defaults={
                "location": location,
                "kind": kind,
                "content_hash": digest,
                "etag": page.etag if page else "",
                "last_modified": page.last_modified if page else "",
            },
        )
    return "created" if created else "updated"


def _remember_validators(source: ArticleSource, page: Page | None) -> None:
    if page and (page.etag, page.last_modified) != (source.etag, source.last_modified):
        source.etag, source.last_modified = page.etag, page.last_modified
        source.save(update_fields=["etag", "last_modified", "imported_at"])
