"""The demo, end to end: the store's records and staff (orders.demo), its help center
(knowledge/data/help_center, imported as a store would import its own), then the desk's agent
and canned replies (desk.demo). Idempotent; dates are relative to today."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from django.db import transaction

import knowledge
from desk.demo import seed_desk
from knowledge.services import knowledge_import
from orders.demo import SeedResult, seed_store
from orders.models import KnowledgeArticle

HELP_CENTER = Path(knowledge.__file__).resolve().parent / "data" / "help_center"


def seed_demo(*, now: dt.datetime | None = None) -> SeedResult:
    with transaction.atomic():
        result = seed_store(now=now)
        report = knowledge_import([str(HELP_CENTER)])
        if report.failed:
            raise RuntimeError(f"the demo help center did not import: {report.failed}")
        seed_desk()
    return replace(result, articles=KnowledgeArticle.objects.count())
