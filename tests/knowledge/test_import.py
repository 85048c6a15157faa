"""Importing a help center: files, pages, sitemaps; re-imports that update only what changed.
Web pages come from httpx.MockTransport: tests never reach the network."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from knowledge.fetch import MAX_BYTES, Fetcher
from knowledge.models import ArticleSource, Passage
from knowledge.services import knowledge_import, knowledge_import_upload, knowledge_resync
from orders.models import KnowledgeArticle
from pipeline.rules.snapshot import knowledge_version

pytestmark = pytest.mark.django_db

SHIPPING_MD = """# Shipping to islands

We ship to islands twice a week.

## Costs

Island delivery costs $12.
"""
HTML_PAGE = """<html><head><title>Site</title><script>alert(1)</script></head><body>
<nav><a href="/">Home</a> Menu items</nav>
<main><h1>Returning furniture</h1><p>Furniture can be returned within 60 days.</p>
<h2>Pickup</h2><ul><li>We collect it from your door.</li></ul></main>
<footer>Copyright</footer></body></html>"""


def minimal_pdf(title: str, line: str) -> bytes:
    """A one-page PDF with two lines of text, written out by hand (no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({title}) Tj 0 -20 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_markdown_html_and_pdf_files_become_articles_with_passages(tmp_path: Path) -> None:
    (tmp_path / "island-shipping.md").write_text(SHIPPING_MD)
    (tmp_path / "furniture-returns.html").write_text(HTML_PAGE)
    (tmp_path / "care-guide.pdf").write_bytes(minimal_pdf("Care guide", "Wipe with a damp cloth."))
    (tmp_path / "notes.txt").write_text("ignored: not a help-center type")
    report = knowledge_import([str(tmp_path)])
    assert sorted(Path(p).name for p in report.created) == [
        "care-guide.pdf",
        "furniture-returns.html",
        "island-shipping.md",
    ]
    island = KnowledgeArticle.objects.get(slug="island-shipping")
    assert island.title == "Shipping to islands"
    assert [(p.heading, p.text) for p in island.passages.all()] == [
        ("", "We ship to islands twice a week."),
        ("Costs", "Island delivery costs $12."),
    ]
    furniture = KnowledgeArticle.objects.get(slug="furniture-returns")
    assert furniture.title == "Returning furniture"
    text = " ".join(furniture.passages.values_list("text", flat=True))
    assert "60 days" in text and "alert" not in text and "Menu" not in text
    assert KnowledgeArticle.objects.get(slug="care-guide").title == "Care guide"


def test_running_it_again_updates_what_changed_and_leaves_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\nFirst.")
    (tmp_path / "b.md").write_text("# B\n\nSecond.")
    knowledge_import([str(tmp_path)])
    version = knowledge_version()
    (tmp_path / "b.md").write_text("# B\n\nSecond, revised.")
    report = knowledge_import([str(tmp_path)])
    assert [Path(p).name for p in report.updated] == ["b.md"]
    assert [Path(p).name for p in report.unchanged] == ["a.md"]
    assert Passage.objects.get(article__slug="b").text == "Second, revised."
    assert knowledge_version() != version  # cached answers built on the old text die with it


def test_a_broken_file_is_reported_and_skipped_and_nothing_half_imported(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nFine.")
    (tmp_path / "no-title.md").write_text("Just text, no heading.")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    report = knowledge_import([str(tmp_path), str(tmp_path / "missing.md")])
    assert [Path(p).name for p in report.created] == ["good.md"]
    assert sorted(Path(p).name for p, _ in report.failed) == [
        "broken.pdf",
        "missing.md",
        "no-title.md",
    ]
    assert not KnowledgeArticle.objects.filter(slug__in=["no-title", "broken"]).exists()


def test_the_command_reports_its_counts(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.md").write_text("# A\n\nFirst.")
    call_command("import_knowledge", str(tmp_path / "a.md"), str(tmp_path / "nope.md"))
    out = capsys.readouterr()
    assert "1 created, 0 updated, 0 unchanged, 1 failed" in out.out
    assert "nope.md" in out.err


class Site:
    """A tiny help center behind httpx.MockTransport, with ETags and robots.txt."""

    def __init__(self) -> None:
        self.pages = {
            "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/help/shipping-to-islands": ("text/html", SHIPPING_MD.replace("#", "").encode()),
            "/help/furniture-returns/": ("text/html; charset=utf-8", HTML_PAGE.encode()),
            "/private/secret": ("text/html", b"<h1>Secret</h1><p>Hidden.</p>"),
            "/help/photo.png": ("image/png", b"\x89PNG"),
            "/help/huge": ("text/html", b"<h1>Huge</h1>" + b"x" * (MAX_BYTES + 1)),
            "/sitemap.xml": (
                "application/xml",
                b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                b"<url><loc>https://help.shop.example/help/furniture-returns/</loc></url>"
                b"<url><loc>https://help.shop.example/help/gone</loc></url></urlset>",
            ),
        }
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = self.pages.get(request.url.path)
        if page is None:
            return httpx.Response(404)
        etag = f'"{hash(page[1])}"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag})
        return httpx.Response(200, content=page[1], headers={"content-type": page[0], "etag": etag})

    def fetcher(self) -> Fetcher:
        return Fetcher(transport=httpx.MockTransport(self.handler))


def test_web_pages_and_sitemaps_import_within_robots_size_and_type_limits() -> None:
    site = Site()
    base = "https://help.shop.example"
    report = knowledge_import(
        [
            f"{base}/sitemap.xml",
            f"{base}/private/secret",
            f"{base}/help/photo.png",
            f"{base}/help/huge",
            "ftp://help.shop.example/x",
        ],
        fetcher=site.fetcher(),
    )
    assert report.created == [f"{base}/help/furniture-returns/"]
    reasons = dict(report.failed)
    assert reasons[f"{base}/help/gone"] == "HTTP 404"
    assert reasons[f"{base}/private/secret"] == "robots.txt disallows it"
    assert "unsupported type image/png" in reasons[f"{base}/help/photo.png"]
    assert "larger than" in reasons[f"{base}/help/huge"]
    assert "only http and https" in reasons["ftp://help.shop.example/x"]
    assert not any(r.url.path == "/private/secret" for r in site.requests)
    assert KnowledgeArticle.objects.get(slug="furniture-returns").source.etag


def test_the_scheduled_resync_sends_the_etag_and_keeps_unchanged_pages() -> None:
    site = Site()
    url = "https://help.shop.example/help/furniture-returns/"
    knowledge_import([url], fetcher=site.fetcher())
    site.requests.clear()
    report = knowledge_resync(fetcher=site.fetcher())
    assert report.unchanged == [url]
    page_requests = [r for r in site.requests if r.url.path != "/robots.txt"]
    assert page_requests[0].headers["if-none-match"] == ArticleSource.objects.get().etag
    site.pages["/help/furniture-returns/"] = (
        "text/html",
        HTML_PAGE.replace("60 days", "90 days").encode(),
    )
    assert knowledge_resync(fetcher=site.fetcher()).updated == [url]
    assert "90 days" in Passage.objects.filter(article__slug="furniture-returns").first().text


def test_an_upload_from_the_admin_imports_one_file() -> None:
    report = knowledge_import_upload("island-shipping.md", SHIPPING_MD.encode())
    assert report.created == ["island-shipping.md"]
    assert knowledge_import_upload("virus.exe", b"MZ").failed[0][1].startswith("not a .md")
