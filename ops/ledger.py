"""Selectors for the cost ledger: what the bot cost per day, model, stage, intent and customer,
and what each resolved outcome cost (every model call of a kind of request, over the ones the
bot resolved itself)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from ops.periods import Period
from ops.traces import ZERO, daily_buckets, model_usage_rows, traces_in
from orders.models import Customer
from pipeline.models import PipelineTrace

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

    @property
    def per_resolved(self) -> Decimal | None:
        return self.total_usd / self.resolved if self.resolved else None


_ANSWERED = Q(outcome=PipelineTrace.Outcome.ANSWERED)


def _by_day(period: Period) -> tuple[LedgerRow, ...]:
    return tuple(
        LedgerRow(day, n, cost, resolved=answered)
        for day, n, cost, answered in reversed(daily_buckets(period=period))
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


def _by_intent(period: Period) -> tuple[LedgerRow, ...]:
    rows = (
        traces_in(period)
        .values_list("intent")
        .annotate(
            n=Count("id"),
            cost=Sum("cost_usd"),
            resolved=Count("id", filter=_ANSWERED),
        )
        .order_by("-cost", "intent")
    )
    return tuple(
        LedgerRow(intent or "(none)", n, cost or ZERO, resolved=resolved)
        for intent, n, cost, resolved in rows
    )


def _by_customer(period: Period) -> tuple[LedgerRow, ...]:
    rows = list(
        traces_in(period)
        .filter(customer__isnull=False)
        .values_list("customer_id")
        .annotate(n=Count("id"), cost=Sum("cost_usd"), resolved=Count("id", filter=_ANSWERED))
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
    by_intent = _by_intent(period)
    total = sum((row.cost_usd for row in by_intent), ZERO)
    return Ledger(
        period=period,
        total_usd=total,
        requests=sum(row.requests for row in by_intent),
        resolved=sum(row.resolved for row in by_intent),
        by_day=_by_day(period),
        by_model=_by_usage(usage, "model"),
        by_stage=_by_usage(usage, "stage"),
        by_intent=by_intent,
        by_customer=_by_customer(period),
    )
