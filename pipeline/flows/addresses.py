"""Postal addresses in the customer's words: written out ("12 Birch Lane, Apt 5, Dayton,
OH 45402, USA") or pointed at ("my default address", "the address on order #W...", "my NYC
address from my last order")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from orders.models import Address
from pipeline.flows.records import OrderRecord, Snapshot

_WRITTEN = re.compile(
    r"(?<![#\w])(?P<street>\d+[A-Za-z]?\s+[A-Za-z0-9 .'-]+?)\s*,\s*"
    r"(?:(?P<unit>(?i:suite|ste\.?|apt\.?|apartment|unit|#)\s*[\w-]+)\s*,\s*)?"
    r"(?P<city>[A-Za-z .'-]+?)\s*,\s*(?P<state>[A-Z]{2})\s*,?\s*(?P<zip>\d{5})"
    r"(?:\s*,\s*(?P<country>USA|US|United States(?: of America)?))?",
)
_ALIASES = {
    "nyc": "new york",
    "big apple": "new york",
    "la": "los angeles",
    "l.a.": "los angeles",
    "dc": "washington",
    "d.c.": "washington",
    "sf": "san francisco",
    "philly": "philadelphia",
}
_PROFILE = re.compile(r"\b(default|profile|on file|my (home )?address on (my )?account)\b", re.I)


def address_written(text: str) -> Address | None:
    match = _WRITTEN.search(text)
    if match is None:
        return None
    unit = match.group("unit") or ""
    street = re.split(r"\s\b(?:to|at|is)\s+(?=\d)", match.group("street"))[-1]
    return Address(
        address1=street.strip(),
        address2=unit.strip().title() if unit else "",
        city=match.group("city").strip(),
        state=match.group("state"),
        country="USA",
        zip=match.group("zip"),
    )


def places_named(text: str) -> set[str]:
    """Cities the words name, aliases read ("NYC" is New York)."""
    lowered = f" {text.lower()} "
    found = set()
    for alias, city in _ALIASES.items():
        if re.search(rf"(?<![\w.]){re.escape(alias)}(?![\w])", lowered):
            found.add(city)
    return found


def address_pointed(
    text: str, snapshot: Snapshot, target: OrderRecord | None, named_orders: Sequence[OrderRecord]
) -> Address | None:
    """An address the words point at instead of writing it out."""
    if _PROFILE.search(text) and not re.search(r"\b(to|change) (my |the )?default\b", text, re.I):
        return snapshot.address
    others = [o for o in snapshot.orders if target is None or o.number != target.number]
    for order in named_orders:
        if target is None or order.number != target.number:
            return order.address
    places = places_named(text)
    lowered = text.lower()
    candidates = [o.address for o in others] + [snapshot.address]
    for address in candidates:
        city = address.city.lower()
        if target is not None and target.address.city.lower() == city:
            continue
        if city in places or re.search(rf"\b{re.escape(city)}\b", lowered):
            return address
    return None


def same_address(a: Address, b: Address) -> bool:
    return a.as_dict() == b.as_dict()
