"""Outgoing HTTP for help-center pages: the one module of the knowledge base that talks to the
web (as llm/client.py is for the model). Explicit timeouts, robots.txt, a size and type limit,
and conditional requests with the ETag and Last-Modified of the last import. Takes `transport=`
so tests serve pages from httpx.MockTransport and never reach the network."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

USER_AGENT = "support_bot-knowledge/1.0 (+help-center import)"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BYTES = 5 * 1024 * 1024
TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "markdown",
    "application/pdf": "pdf",
    "application/xml": "sitemap",
    "text/xml": "sitemap",
}


class FetchError(Exception):
    """A page that could not be fetched: the reason says why, for the import report."""


@dataclass(frozen=True)
class Page:
    url: str
    kind: str  # html, markdown, pdf, sitemap; "" when not modified
    content: bytes
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


@dataclass
class Fetcher:
    transport: httpx.BaseTransport | None = None
    _robots: dict[str, RobotFileParser] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            transport=self.transport,
            timeout=TIMEOUT,
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> Page:
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError("only http and https URLs are imported")
        if not self._allowed(url):
            raise FetchError("robots.txt disallows it")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Page(url, "", b"", etag, last_modified, not_modified=True)
                if response.status_code != 200:
                    raise FetchError(f"HTTP {response.status_code}")
                kind = _kind(url, response.headers.get("content-type", ""))
                content = _read_limited(response)
                return Page(
                    url,
                    kind,
                    content,
                    response.headers.get("etag", ""),
                    response.headers.get("last-modified", ""),
                )
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from exc

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(origin)
        if parser is None:
            parser = RobotFileParser()
            robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
            try:
                response = self._client.get(robots_url)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 200:
                parser.parse(response.text.splitlines())
            elif response is not None and response.status_code in (401, 403):
                parser.disallow_all = True
            else:  # no robots.txt (or it failed): everything is allowed, as crawlers read it
                parser.allow_all = True
            self._robots[origin] = parser
        return parser.can_fetch(USER_AGENT, url)


def _kind(url: str, content_type: str) -> str:
    media = content_type.split(";")[0].strip().lower()
    if media in TYPES:
        kind = TYPES[media]
        path = urlsplit(url).path.lower()
        if kind == "markdown" and not path.endswith((".md", ".markdown", ".txt")):
            raise FetchError(f"unsupported type {media}")
        return kind
    raise FetchError(f"unsupported type {media or 'none'}")


def _read_limited(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise FetchError(f"larger than {MAX_BYTES} bytes")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchError(f"larger than {MAX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
