"""The customer as the store's own site vouches for them: the widget's POST carries
{"customer": {"email": ..., "signature": ...}}, the signature being the hex HMAC-SHA256 of the
e-mail keyed with WIDGET_IDENTITY_SECRET, computed by the store's backend (shared/protocol.md).

The e-mail is trimmed and lower-cased before it is signed and checked, on both sides: stores keep
e-mails in whatever case the customer typed, and "Ann@Shop.com" and "ann@shop.com" are one
mailbox to every store we know of.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

from orders.models import Customer

MAX_EMAIL_CHARS = 254
MAX_SIGNATURE_CHARS = 128


@dataclass(frozen=True)
class SignedIdentity:
    email: str  # normalised
    signature: str


class IdentityMalformed(ValueError):
    """A body that tries to name a customer but is not the documented shape: HTTP 400."""


class IdentityRefused(PermissionError):
    """A signature that does not prove the e-mail: HTTP 403, and nothing is created."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def email_normalise(email: str) -> str:
    return email.strip().lower()


def identity_sign(email: str, *, secret: str) -> str:
    """What the store's backend computes (the README's snippets do the same)."""
    return hmac.new(secret.encode(), email_normalise(email).encode(), hashlib.sha256).hexdigest()


def identity_parse(body: bytes) -> SignedIdentity | None:
    """The signed identity in a start request's body; None when it names no customer."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None  # a bodiless or form POST, as older widgets send: no identity claimed
    if not isinstance(data, dict) or data.get("customer") is None:
        return None
    claim = data["customer"]
    email = claim.get("email") if isinstance(claim, dict) else None
    signature = claim.get("signature") if isinstance(claim, dict) else None
    if not isinstance(email, str) or not isinstance(signature, str):
        raise IdentityMalformed('customer must be {"email": "...", "signature": "<hex>"}')
    email = email_normalise(email)
    if not email or len(email) > MAX_EMAIL_CHARS or len(signature) > MAX_SIGNATURE_CHARS:
        raise IdentityMalformed("customer.email or customer.signature is empty or too long")
    return SignedIdentity(email=email, signature=signature.strip().lower())


def identity_customer(identity: SignedIdentity) -> Customer | None:
    """The customer the store vouched for, or None for an e-mail the store has no customer by:
    a shopper who signed up but has not ordered yet still gets help, as an anonymous visitor
    (there are no orders to show them). A signature that does not hold raises IdentityRefused."""
    secret = settings.WIDGET_IDENTITY_SECRET
    if not secret:
        raise IdentityRefused(
            "identity_not_accepted",
            "This support service accepts no signed customer identity "
            "(WIDGET_IDENTITY_SECRET is not set); start without one.",
        )
    expected = identity_sign(identity.email, secret=secret)
    if not hmac.compare_digest(expected.encode(), identity.signature.encode()):
        raise IdentityRefused(
            "identity_invalid",
            "The customer's signature does not match their e-mail; the store's site must sign "
            "the e-mail with its WIDGET_IDENTITY_SECRET.",
        )
    return Customer.objects.select_related("tier").filter(email__iexact=identity.email).first()
