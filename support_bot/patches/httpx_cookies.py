"""Patch: an httpx.AsyncClient that sends the cookies it is given and stores none from responses.

Model APIs set no cookie we need, and httpx extracts them from every response through a urllib
copy of the request (~10 µs a call, on the one core that serves every chat). httpx has no switch
for it, so the client's cookie jar is replaced: the property and its setter are httpx's own, and
its __init__ assigns `self._cookies` directly, bypassing the setter.

Pinned: httpx>=0.28,<0.29 (pyproject.toml). Upstream: encode/httpx discussions ask for a way to
disable cookie persistence; no option exists in 0.28. Test that fails without it:
tests/llm/test_client.py::test_the_client_sends_given_cookies_but_keeps_none_from_responses.
The one module besides llm/client.py that imports httpx.
"""

from __future__ import annotations

from typing import Any

import httpx


class _SentCookiesOnly(httpx.Cookies):
    """Cookies given to the client are sent; none is read back from responses."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class ModelHTTPClient(httpx.AsyncClient):
    """An httpx.AsyncClient that never stores response cookies: model APIs set none we need,
    and reading them costs httpx a urllib copy of every request (~10 µs a call)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = self._cookies  # httpx's __init__ bypasses the setter below

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = _SentCookiesOnly(cookies)
