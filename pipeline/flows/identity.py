"""Who an anonymous visitor is, proved in the chat by the store's accepted proofs: the e-mail on
the account, or the full name and zip code together. Scoped to the conversation's store; every
failed check counts against the same per-conversation and per-visitor limits as the order
number and e-mail check (pipeline.verification), and past them nothing more is checked."""

from __future__ import annotations

import time
from dataclasses import dataclass

from orders.models import DEMO_STORE, Customer, IdentityProof, StorePolicy
from pipeline.flows.commands import EMAIL, ZIP
from pipeline.verification import verify_counted


@dataclass(frozen=True)
class Identified:
    customer_id: int | None
    outcome: str  # "verified_now", "failed", "locked", "none" (no proof in the words)


_PROOFS: dict[int | None, tuple[float, list[str]]] = {}
PROOFS_TTL_S = 30.0


def store_proofs(store_id: int | None) -> list[str]:
    """The store's accepted proofs, read at most every PROOFS_TTL_S per process: every message
    asks (it decides whether the flows run), and a policy edit may take that long to apply."""
    now = time.monotonic()
    cached = _PROOFS.get(store_id)
    if cached is not None and now - cached[0] < PROOFS_TTL_S:
        return cached[1]
    if store_id is None:
        proofs = list(StorePolicy.load(DEMO_STORE).identity_proofs)
    else:
        proofs = list(StorePolicy.for_store_id(store_id).identity_proofs)
    _PROOFS[store_id] = (now, proofs)
    return proofs


def identify(
    *,
    text: str,
    earlier: str,
    store_id: int | None,
    proofs: list[str],
    conversation_id: str,
    visitor_key: str,
) -> Identified:
    """Try each proof the words give; `earlier` is what the visitor said before (a name given
    one turn, the zip the next)."""
    customers = _store_customers(store_id)
    checks = []
    if IdentityProof.EMAIL in proofs:
        for email in dict.fromkeys(e.lower() for e in EMAIL.findall(text)):
            checks.append(lambda email=email: customers.filter(email__iexact=email).first())
    if IdentityProof.NAME_AND_ZIP in proofs:
        words = f"{earlier} {text}".lower()
        for zip_code in dict.fromkeys(ZIP.findall(text)):
            checks.append(lambda zip_code=zip_code: _by_name(customers, zip_code, words))
    outcome = "none"
    for check in checks:  # each proof given is one counted attempt
        attempt = verify_counted(
            check=check, conversation_id=conversation_id, visitor_key=visitor_key
        )
        if attempt.customer is not None:
            return Identified(attempt.customer.pk, "verified_now")
        outcome = attempt.outcome
        if outcome == "locked":
            return Identified(None, outcome)
    return Identified(None, outcome)
    if IdentityProof.NAME_AND_ZIP in proofs:
        words = f"{earlier} {text}".lower()
        for zip_code in dict.fromkeys(ZIP.findall(text)):
            attempt = verify_counted(
                check=lambda zip_code=zip_code: _by_name(customers, zip_code, words),
                conversation_id=conversation_id,
                visitor_key=visitor_key,
            )
            if attempt.customer is not None:
                return Identified(attempt.customer.pk, "verified_now")
            outcome = attempt.outcome
            if outcome == "locked":
                return Identified(None, outcome)
    return Identified(None, outcome)


def _store_customers(store_id: int | None):
    if store_id is None:
        return Customer.objects.filter(store__code=DEMO_STORE)
    return Customer.objects.filter(store_id=store_id)


def _by_name(customers, zip_code: str, words: str) -> Customer | None:
    named = [c for c in customers.filter(zip=zip_code) if c.name.lower() in words]
    return named[0] if len(named) == 1 else None
