"""Questions asked along the way, answered from the records: an order's status, tracking number,
items and their options, what was paid, what the conversation's changes give back in total, a
gift card's balance, and product questions (through the catalogue reader)."""

from __future__ import annotations

import re
from decimal import Decimal

from orders.models import PaymentMethod
from pipeline.flows import commands
from pipeline.flows.addresses import places_named
from pipeline.flows.products import items_mentioned, items_read, product_answer
from pipeline.flows.records import ZERO, OrderRecord, Snapshot
from pipeline.flows.resolve import money
from pipeline.flows.state import FlowState

_TRACKING = re.compile(r"\btracking\b", re.I)
_TOTAL_BACK = re.compile(
    r"\bhow much\b.*\b(get(ting)? back|refund\w*|back in total|save)\b|\btotal refund\b|"
    r"\b(what'?s|what is) my (total )?refund\b",
    re.I,
)
_TOTAL_PAY = re.compile(r"\bhow much\b.*\b(pay|owe)\b.*\b(today|in total|total)\b", re.I)
_BALANCE = re.compile(r"\bgift ?card\b.*\bbalance\b|\bbalance\b.*\bgift ?card\b", re.I)
_PAID = re.compile(
    r"\b(how much (did|do) i pay|total (price|i paid|paid|cost)|what did i pay|price of (my|the|that|this) order|"
    r"how much was (my|the|that) order)\b",
    re.I,
)
_STATUS = re.compile(r"\b(status|arriv\w*|when will|where is|in transit|shipped yet)\b", re.I)
_ITEMS = re.compile(
    r"\b(which|what) (items|things|t-shirts|products)\b|\bwhat (material|storage|size|color|colour)\b|"
    r"\bwhat'?s the (material|storage|size|color)\b|\bmaterial\b|\bstorage\b",
    re.I,
)
_EXTREME = re.compile(
    r"\b(most expensive|priciest|cheapest|least expensive) (item|thing|product)\b", re.I
)
_ADDRESS_Q = re.compile(r"\b(which|what) address\b|\baddress (was|is) (it|that order)\b", re.I)


def answers_for(text: str, snap: Snapshot, st: FlowState, store_id: int | None) -> list[str]:
    out: list[str] = []
    order = _order_meant(text, snap, st)
    if _TOTAL_BACK.search(text) and st.refunds:
        total = sum((Decimal(a) for a in st.refunds), ZERO)
        out.append(f"In total, {money(total)} is coming back to you from today's changes.")
    if _TOTAL_PAY.search(text) and st.charges:
        charged = sum((Decimal(a) for a in st.charges), ZERO)
        refunded = sum((Decimal(a) for a in st.refunds), ZERO)
        if refunded:
            out.append(
                f"Today's changes charge {money(charged)} and refund {money(refunded)}, so "
                f"{money(charged - refunded)} in all."
            )
        else:
            out.append(f"In total, today's changes cost {money(charged)}.")
    if _BALANCE.search(text):
        for method in snap.methods:
            if method.kind == PaymentMethod.Kind.GIFT_CARD:
                out.append(f"Your gift card's balance is {money(method.balance or ZERO)}.")
    if order is not None:
        asked = len(out)
        _about_order(text, order, out)
        if len(out) > asked:
            st.focus_on(order.number)
    product = product_answer(text, store_id, snap.customer_id)
    if product:
        out.append(product)
    return out


def _about_order(text: str, order: OrderRecord, out: list[str]) -> None:
    extreme = _EXTREME.search(text)
    if extreme and order.items:
        high = extreme.group(1).lower() in ("most expensive", "priciest")
        item = (
            max(order.items, key=lambda i: i.price)
            if high
            else min(order.items, key=lambda i: i.price)
        )
        out.append(
            f"The {extreme.group(1).lower()} item in order {order.number} is the "
            f"{item.product_name} ({_options(item.options)}) at {money(item.price)}."
        )
    if True:
        if _TRACKING.search(text):
            numbers = ", ".join(order.tracking)
            out.append(
                f"The tracking number of order {order.number} is {numbers}."
                if numbers
                else f"Order {order.number} has no tracking number yet."
            )
        if _ADDRESS_Q.search(text):
            out.append(f"Order {order.number} ships to {_address(order)}.")
        if _STATUS.search(text):
            out.append(f"Order {order.number} is {order.status_text()}.")
        if _ITEMS.search(text):
            named = items_read(text, list(order.items)) or list(order.items)
            parts = [f"{i.product_name} ({_options(i.options)}, {money(i.price)})" for i in named]
            out.append(f"Order {order.number} has: {'; '.join(parts)}.")
        if _PAID.search(text) and re.search(
            r"\b(remaining|rest of|other items|kept|keeping|left)\b", text, re.I
        ):
            kept = [i for i in order.items if i.request != "return"]
            out.append(
                f"The items you're keeping from order {order.number} come to "
                f"{money(sum((i.price for i in kept), ZERO))}."
            )
        elif _PAID.search(text):
            out.append(
                f"Order {order.number} comes to {money(order.total)}"
                f" ({money(order.net_paid)} paid after refunds)."
                if order.net_paid != order.total
                else f"Order {order.number} comes to {money(order.total)}."
            )


def _order_meant(text: str, snap: Snapshot, st: FlowState) -> OrderRecord | None:
    refs = [snap.order(f"#{r.upper()}") for r in commands.ORDER_REF.findall(text)]
    refs = [o for o in refs if o]
    if refs:
        return refs[0]
    named = [o for o in snap.orders if items_mentioned(text, list(o.items))]
    if len(named) == 1:
        return named[0]
    places = places_named(text) | {
        o.address.city.lower()
        for o in snap.orders
        if re.search(rf"\b{re.escape(o.address.city)}\b", text, re.I)
    }
    going = [o for o in snap.orders if o.address.city.lower() in places]
    if len(going) == 1:
        return going[0]
    for status in ("cancelled", "pending", "delivered", "processed"):
        if re.search(rf"\b{status}\b", text, re.I):
            of_status = [o for o in snap.orders if o.status == status]
            if len(of_status) == 1:
                return of_status[0]
    if re.search(r"\b(just|recently) (placed|ordered|bought)\b|\bpending\b", text, re.I):
        pending = [o for o in snap.orders if o.status == "pending"]
        if len(pending) == 1:
            return pending[0]
    focus = [snap.order(n) for n in st.focus]
    focus = [o for o in focus if o]
    if commands.words_read(text).other_order and focus:
        others = [o for o in snap.orders if o not in focus]
        return others[0] if len(others) == 1 else None
    if focus:
        return focus[0]
    if len(snap.orders) == 1:
        return snap.orders[0]
    return None


def _options(options: dict[str, str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in options.items())


def _address(order: OrderRecord) -> str:
    a = order.address
    street = ", ".join(p for p in (a.address1, a.address2) if p)
    return f"{street}, {a.city}, {a.state} {a.zip}, {a.country}"
