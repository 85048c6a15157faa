"""Selectors for the cost ledger: what the bot cost per day, model, stage, intent and customer,
and what each resolution cost: everything spent, over the conversations the bot resolved in the
sense of ops.resolution (no handoff, no return within the window, no low CSAT), not over the
requests it merely answered."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from ops.periods import Period
from ops.resolution import Resolution, resolution_get
from ops.traces import ZERO, model_usage_rows, traces_in, utc_day
from orders.models import Customer

TOP_CUSTOMERS = 20


@dataclass(frozen=True)
class LedgerRow:
    key: str
    requests: int
    cost_usd: Decimal
    tokens: int = 0
    resolved: int = 0
    link: str = ""

    @property
    def per_request(self) -> Decimal | None:
        return self.cost_usd / self.requests if self.requests else None

    @property
    def per_resolved(self) -> Decimal | None:
        return self.cost_usd / self.resolved if self.resolved else None


@dataclass(frozen=True)
class Ledger:
    period: Period
    total_usd: Decimal
    requests: int
    resolved: int
    by_day: tuple[LedgerRow, ...]
    by_model: tuple[LedgerRow, ...]
    by_stage: tuple[LedgerRow, ...]
    by_intent: tuple[LedgerRow, ...]
    by_customer: tuple[LedgerRow, ...]
    resolution: Resolution

    @property
    def per_resolved(self) -> Decimal | None:
        return self.total_usd / self.resolved if self.resolved else None


def _resolved(ids: frozenset) -> Count:
    """Distinct conversations among `ids` (the ones the bot resolved)."""
    return Count("conversation", distinct=True, filter=Q(conversation_id__in=list(ids)))


def _by_day(period: Period, ids: frozenset) -> tuple[LedgerRow, ...]:
    rows = (
        traces_in(period)
        .annotate(day=utc_day("created_at"))
        .values_list("day")
        .annotate(n=Count("id"), cost=Sum("cost_usd"), resolved=_resolved(ids))
        .order_by("-day")
    )
    return tuple(
        LedgerRow(str(day)[:10], n, cost or ZERO, resolved=resolved)
        for day, n, cost, resolved in rows
    )


def _by_usage(usage: list[dict], field: str) -> tuple[LedgerRow, ...]:
    grouped: dict[str, list] = defaultdict(lambda: [0, ZERO, 0])
    for row in usage:
        entry = grouped[row[field]]
        entry[0] += row["calls"]
        entry[1] += row["cost"] or ZERO
        entry[2] += (row["prompt"] or 0) + (row["completion"] or 0)
    rows = [LedgerRow(key, n, cost, tokens=tokens) for key, (n, cost, tokens) in grouped.items()]
    return tuple(sorted(rows, key=lambda r: (-r.cost_usd, r.key)))


def _by_intent(period: Period, ids: frozenset) -> tuple[LedgerRow, ...]:
    rows = (
        traces_in(period)
        .values_list("intent")
        .annotate(n=Count("id"), cost=Sum("cost_usd"), resolved=_resolved(ids))
        .order_by("-cost", "intent")
    )
    return tuple(
        LedgerRow(intent or "(none)", n, cost or ZERO, resolved=resolved)
        for intent, n, cost, resolved in rows
    )


def _by_customer(period: Period, ids: frozenset) -> tuple[LedgerRow, ...]:
    rows = list(
        traces_in(period)
        .filter(customer__isnull=False)
        .values_list("customer_id")
        .annotate(n=Count("id"), cost=Sum("cost_usd"), resolved=_resolved(ids))
        .order_by("-cost", "customer_id")[:TOP_CUSTOMERS]
    )
    names = Customer.objects.in_bulk([row[0] for row in rows])
    return tuple(
        LedgerRow(
            _customer_label(names.get(customer_id), customer_id),
            n,
            cost or ZERO,
            resolved=resolved,
            link=str(customer_id),
        )
        for customer_id, n, cost, resolved in rows
    )


def _customer_label(customer: Customer | None, customer_id: int) -> str:
    return f"{customer.name} <{customer.email}>" if customer else f"customer #{customer_id}"


def ledger_get(*, period: Period) -> Ledger:
    usage = model_usage_rows(period=period)
    resolution = resolution_get(period=period)
    ids = resolution.resolved_ids
    by_intent = _by_intent(period, ids)
    total = sum((row.cost_usd for row in by_intent), ZERO)
    return Ledger(
        period=period,
        total_usd=total,
        requests=sum(row.requests for row in by_intent),
        resolved=resolution.resolved_by_bot,
        by_day=_by_day(period, ids),
        by_model=_by_usage(usage, "model"),
        by_stage=_by_usage(usage, "stage"),
        by_intent=by_intent,
        by_customer=_by_customer(period, ids),
        resolution=resolution,
    )
