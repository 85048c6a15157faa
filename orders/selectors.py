"""Reads of the store's records. Every customer-facing read is scoped to one customer."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from orders.models import (
    ActionRecord,
    Customer,
    IdentityProof,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Refund,
    StorePolicy,
    TrackingEvent,
)

_ORDER_NUMBER = re.compile(r"(?:ORD[-\s]?)?#?(\d{3,12})$", re.IGNORECASE)
_TAU2_ORDER_NUMBER = re.compile(r"#?W(\d{7})$", re.IGNORECASE)


def order_number_normalize(raw: str) -> str | None:
    """'ORD-4521', 'ord 4521', '#4521' and '4521' all name ORD-4521; '#W2378156' and 'w2378156'
    name the τ² store's #W2378156."""
    tau2 = _TAU2_ORDER_NUMBER.match(raw.strip())
    if tau2:
        return f"#W{tau2.group(1)}"
    match = _ORDER_NUMBER.match(raw.strip())
    return f"ORD-{match.group(1)}" if match else None


def _order_detail_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("customer__tier", "shipping_method").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product")),
        "refunds",
        Prefetch("shipments__events", queryset=TrackingEvent.objects.order_by("occurred_at")),
    )


def order_get_for_customer(*, customer_id: int, number: str) -> Order | None:
    normalized = order_number_normalize(number)
    if normalized is None:
        return None
    return _order_detail_queryset().filter(customer_id=customer_id, number=normalized).first()


def orders_for_customer(*, customer_id: int, limit: int = 10) -> list[Order]:
    return list(_order_detail_queryset().filter(customer_id=customer_id)[:limit])


def orders_with_history_for_customer(*, customer_id: int, limit: int = 10) -> list[Order]:
    """The customer's orders with their payment history (methods joined) and the actions carried
    out on them, oldest first: what the console and the storefront show."""
    return list(
        Order.objects.select_related("customer__tier", "shipping_method")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product", "variant")),
            "refunds",
            Prefetch("shipments__events", queryset=TrackingEvent.objects.order_by("occurred_at")),
            Prefetch("payments", queryset=Payment.objects.select_related("method")),
            Prefetch(
                "actions",
                queryset=ActionRecord.objects.filter(status=ActionRecord.Status.DONE)
                .select_related("agent")
                .order_by("created_at", "pk"),
                to_attr="done_actions",
            ),
        )
        .filter(customer_id=customer_id)[:limit]
    )


@dataclass
class MethodLedger:
    method: PaymentMethod
    paid: Decimal = Decimal("0.00")
    refunded: Decimal = Decimal("0.00")
    lines: list[Payment] = field(default_factory=list)


@dataclass(frozen=True)
class OrderLedger:
    """What an order was paid and refunded, in all and per method, from its payment history."""

    paid: Decimal
    refunded: Decimal
    methods: list[MethodLedger]


def order_ledger(order: Order) -> OrderLedger:
    """From the order's payments (prefetched by orders_with_history_for_customer)."""
    by_method: dict[int, MethodLedger] = {}
    for payment in order.payments.all():
        entry = by_method.setdefault(payment.method_id, MethodLedger(payment.method))
        entry.lines.append(payment)
        if payment.kind == Payment.Kind.PAYMENT:
            entry.paid += payment.amount
        else:
            entry.refunded += payment.amount
    methods = list(by_method.values())
    return OrderLedger(
        paid=sum((m.paid for m in methods), Decimal("0.00")),
        refunded=sum((m.refunded for m in methods), Decimal("0.00")),
        methods=methods,
    )


def order_exists(*, number: str) -> bool:
    normalized = order_number_normalize(number)
    return normalized is not None and Order.objects.filter(number=normalized).exists()


def customer_verify(*, order_number: str, email: str) -> Customer | None:
    """The customer who placed this order, if the e-mail is theirs; None otherwise, with no hint
    about which of the two was wrong."""
    normalized = order_number_normalize(order_number)
    if normalized is None:
        return None
    order = (
        Order.objects.select_related("customer__tier")
        .filter(number=normalized, customer__email__iexact=email.strip())
        .first()
    )
    return order.customer if order else None


def customer_get_by_email(*, email: str) -> Customer | None:
    return Customer.objects.select_related("tier").filter(email__iexact=email.strip()).first()


def customer_find(
    *,
    store_code: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    zip_code: str = "",
) -> Customer | None:
    """The store's customer proven by the facts its policy accepts (StorePolicy.identity_proofs):
    an e-mail alone, or a name with a zip code. Order number with e-mail is customer_verify."""
    proofs = set(StorePolicy.load(store_code).identity_proofs)
    customers = Customer.objects.select_related("tier").filter(store__code=store_code)
    if email.strip() and IdentityProof.EMAIL in proofs:
        return customers.filter(email__iexact=email.strip()).first()
    if first_name.strip() and zip_code.strip() and IdentityProof.NAME_AND_ZIP in proofs:
        name = f"{first_name.strip()} {last_name.strip()}".strip()
        matches = list(customers.filter(name__iexact=name, zip=zip_code.strip())[:2])
        return matches[0] if len(matches) == 1 else None
    return None


def payment_methods_for_customer(*, customer_id: int) -> list[PaymentMethod]:
    return list(PaymentMethod.objects.filter(customer_id=customer_id))


def action_records_for_conversation(*, conversation_id: uuid.UUID) -> list[ActionRecord]:
    """What was carried out in a conversation, oldest first (the replay's action log)."""
    return list(
        ActionRecord.objects.filter(
            conversation_id=conversation_id, status=ActionRecord.Status.DONE
        ).order_by("created_at", "pk")
    )


def action_log_for_conversation(*, conversation_id: uuid.UUID | str) -> list[ActionRecord]:
    """Every action asked for in a conversation, done or refused, oldest first (the console)."""
    return list(
        ActionRecord.objects.filter(conversation_id=conversation_id)
        .select_related("order")
        .order_by("created_at", "pk")
    )


def action_records_for_customer(*, customer_id: int) -> list[ActionRecord]:
    return list(
        ActionRecord.objects.filter(customer_id=customer_id)
        .select_related("order")
        .order_by("created_at", "pk")
    )


def payment_method_by_ref(*, customer_id: int, ref: str) -> PaymentMethod | None:
    """A saved method named as the action log names it: its external id, else its own id."""
    methods = PaymentMethod.objects.filter(customer_id=customer_id)
    found = methods.filter(external_id=ref).first()
    if found is None and str(ref).isdigit():
        found = methods.filter(external_id="", pk=int(ref)).first()
    return found


def order_original_method(*, order_id: int) -> PaymentMethod | None:
    first = (
        Payment.objects.filter(order_id=order_id, kind=Payment.Kind.PAYMENT)
        .select_related("method")
        .order_by("pk")
        .first()
    )
    return first.method if first else None


def refunds_for_customer(*, customer_id: int) -> list[Refund]:
    return list(Refund.objects.select_related("order").filter(order__customer_id=customer_id))


def policy_get() -> StorePolicy:
    return StorePolicy.load()
