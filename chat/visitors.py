"""Who is on the other end of a request, for the limits: the client's address (behind
PROXY_COUNT proxies), a visitor cookie the API sets, and the visitor key a conversation's limits
count under ("customer:<id>" when the customer is known, else "client:<hash of the address>").

Addresses are kept only as keyed hashes: the cache and the database never hold one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from orders.models import Customer

VISITOR_COOKIE = "support_bot_visitor"
VISITOR_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Client:
    address_key: str  # "client:<hash>"
    cookie: str | None  # the visitor cookie the request carried, when well-formed

    @property
    def cookie_key(self) -> str | None:
        return f"visitor:{_digest(self.cookie)}" if self.cookie else None


def client_of(request: HttpRequest) -> Client:
    cookie = request.COOKIES.get(VISITOR_COOKIE, "")
    return Client(
        address_key=f"client:{_digest(_network(client_address(request)))}",
        cookie=cookie if _COOKIE_VALUE.fullmatch(cookie) else None,
    )


def visitor_key(*, customer: Customer | None, client: Client) -> str:
    """The customer when known; else the address, which a visitor cannot shed like a cookie."""
    return f"customer:{customer.pk}" if customer is not None else client.address_key


def visitor_cookie_set(response: HttpResponse, client: Client) -> None:
    """Give a visitor without one their cookie. Cross-origin it is not stored (the widget
    sends no credentials there), and the address alone counts."""
    if client.cookie:
        return
    response.set_cookie(
        VISITOR_COOKIE,
        secrets.token_urlsafe(18),
        max_age=VISITOR_COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def client_address(request: HttpRequest) -> str:
    """The socket's peer, or behind PROXY_COUNT proxies of ours the address the outermost one
    saw. X-Forwarded-For entries left of that were written by the client and prove nothing."""
    if settings.PROXY_COUNT > 0:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= settings.PROXY_COUNT:
            return hops[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR", "")


def _network(address: str) -> str:
    """An IPv6 client owns a whole /64 and can hop within it, so it counts as one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:24]
