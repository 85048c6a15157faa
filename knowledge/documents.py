"""Help-center files and pages as documents: a title (the first heading), a body in Markdown,
and the body's sections under their headings. Parsing is the libraries' (markdown-it-py,
markdownify over Beautiful Soup, pypdf); nothing here reads HTML or Markdown by hand."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdownify import markdownify
from pypdf import PdfReader

_MD = MarkdownIt("commonmark")
# Page furniture that is never help content.
_CHROME = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg")


class DocumentError(ValueError):
    """A file or page that cannot be read as a help article."""


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    body: str  # Markdown, without the title heading
    keywords: str = ""  # the words customers use that the text does not (front matter)


def slug_for(location: str) -> str:
    """From the file name or the URL's path: `.../returns-and-refunds.md` -> returns-and-refunds."""
    if location.startswith(("http://", "https://")):
        parts = urlsplit(location)
        path = PurePosixPath(parts.path)
        name = path.stem if path.stem not in ("", "index") else path.parent.name
        name = name or parts.hostname or ""
    else:
        name = PurePosixPath(location.replace("\\", "/")).stem
    slug = slugify(name)[:80]
    if not slug:
        raise DocumentError(f"no slug in {location!r}")
    return slug


def from_markdown(location: str, text: str) -> Document:
    keywords, text = _front_matter(text)
    tokens = _MD.parse(text)
    lines = text.splitlines()
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            title = tokens[index + 1].content.strip()
            start, end = token.map
            body = "\n".join(lines[:start] + lines[end:]).strip()
            return _document(location, title, body, keywords)
    raise DocumentError(f"{location}: no heading to take the title from")


def _front_matter(text: str) -> tuple[str, str]:
    """`keywords:` from a front-matter block (`---` lines around `key: value` lines, as static
    site generators write it); other keys are ignored."""
    match = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if not match:
        return "", text
    fields = dict(line.split(":", 1) for line in match[1].splitlines() if ":" in line)
    return fields.get("keywords", "").strip()[:200], text[match.end() :]


def from_html(location: str, html: str) -> Document:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(_CHROME):
        tag.decompose()
    main = soup.find("main") or soup.find("article") or soup.body or soup
    markdown = markdownify(str(main), heading_style="ATX", strip=["img", "a"])
    if not any(t.type == "heading_open" for t in _MD.parse(markdown)) and soup.title:
        markdown = f"# {soup.title.get_text(strip=True)}\n\n{markdown}"
    return from_markdown(location, markdown)


def from_pdf(location: str, data: bytes) -> Document:
    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:  # pypdf raises many types on a broken file
        raise DocumentError(f"{location}: not a readable PDF ({exc})") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise DocumentError(f"{location}: the PDF has no text")
    title = (reader.metadata.title if reader.metadata and reader.metadata.title else "") or lines[0]
    body = "\n".join(lines[1:] if lines[0] == title else lines)
    return _document(location, title.strip(), body)


def _document(location: str, title: str, body: str, keywords: str = "") -> Document:
    if not title:
        raise DocumentError(f"{location}: empty title")
    if not body.strip():
        raise DocumentError(f"{location}: no text under the title")
    return Document(slug=slug_for(location), title=title[:160], body=body, keywords=keywords)


def sections(body: str) -> list[Section]:
    """The body split under its headings; text before the first heading has none. Lists and
    paragraphs become plain sentences, so an extract reads as prose."""
    tokens = _MD.parse(body)
    found: list[Section] = []
    heading, parts = "", []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            _flush(found, heading, parts)
            heading, parts = tokens[index + 1].content.strip(), []
            index += 2
        elif token.type == "inline":
            parts.append(_plain(token.content))
        elif token.type in ("code_block", "fence"):
            parts.append(token.content.strip())
        index += 1
    _flush(found, heading, parts)
    return found


def _flush(found: list[Section], heading: str, parts: list[str]) -> None:
    text = " ".join(_sentence(p) for p in parts if p.strip())
    if text:
        found.append(Section(heading, text))


def _plain(inline: str) -> str:
    """Markdown emphasis and links reduced to their words: `[the form](/x)` -> the form."""
    tokens = _MD.parseInline(inline)[0].children or []
    return "".join(t.content for t in tokens if t.type in ("text", "code_inline")) or inline


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if re.search(r"[.!?:;]$", text) else f"{text}."
