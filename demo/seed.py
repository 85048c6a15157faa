"""The demo, end to end: the store's records and staff (orders.demo), then the desk's agent and
canned replies (desk.demo). Idempotent; dates are relative to today."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from desk.demo import seed_desk
from orders.demo import SeedResult, seed_store


def seed_demo(*, now: dt.datetime | None = None) -> SeedResult:
    with transaction.atomic():
        result = seed_store(now=now)
        seed_desk()
    return result
