"""From an open request to the next step: the one question still to ask (naming the choices),
or the proposal with its τ² arguments and a summary that states the facts (amounts, where the
money goes), or the reason it cannot be done. Pure over the snapshot: no writes here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from orders.models import Order, PaymentMethod
from pipeline.flows import commands
from pipeline.flows import state as k
from pipeline.flows.addresses import address_pointed, address_written
from pipeline.flows.payments import method_named, refund_allowed, refund_choices
from pipeline.flows.products import changes_read, items_mentioned, items_read
from pipeline.flows.records import ZERO, Item, OrderRecord, Snapshot
from pipeline.flows.state import FlowState, Request
from pipeline.types import ProposalDraft

PENDING = {Order.Status.PENDING}
DELIVERED = {Order.Status.DELIVERED}
STATUSES = {
    k.CANCEL: PENDING,
    k.ORDER_ADDRESS: PENDING,
    k.ORDER_ITEMS: PENDING,
    k.ORDER_PAYMENT: PENDING,
    k.RETURN: DELIVERED,
    k.EXCHANGE: DELIVERED,
    k.CHANGE: PENDING | DELIVERED,
}
DOING = {
    k.CANCEL: "cancelled",
    k.ORDER_ADDRESS: "changed",
    k.ORDER_ITEMS: "changed",
    k.ORDER_PAYMENT: "changed",
    k.RETURN: "returned",
    k.EXCHANGE: "exchanged",
    k.CHANGE: "changed",
}


@dataclass
class Step:
    """What a request needs next: exactly one of question, proposal, or stop (it can't be done;
    the sentence says why and the request is dropped)."""

    question: str = ""
    proposal: ProposalDraft | None = None
    stop: str = ""
    orders: list[str] = field(default_factory=list)  # the orders the step is about (the focus)


def money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def items_text(items: list[Item]) -> str:
    labels = [i.label() for i in items]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def order_text(order: OrderRecord) -> str:
    names = ", ".join(dict.fromkeys(i.product_name for i in order.items))
    return f"{order.number} ({order.status_text()}: {names})"


def choices_text(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]


# --- orders ---------------------------------------------------------------------------------


def candidates(req: Request, snap: Snapshot, st: FlowState) -> list[OrderRecord]:
    """The orders a request may mean, narrowed by the words; several when it is unclear."""
    statuses = STATUSES[req.kind]
    joined = " ".join(req.texts)
    if req.order_id and snap.order(req.order_id):
        return [snap.order(req.order_id)]
    for text in reversed(req.texts):
        refs = [
            o for o in (snap.order(f"#{r.upper()}") for r in commands.ORDER_REF.findall(text)) if o
        ]
        if refs:
            fitting = [o for o in refs if o.status in statuses]
            return fitting[:1] if len(fitting) == 1 else refs[:1] if len(refs) == 1 else refs
    pool = [o for o in snap.orders if o.status in statuses]
    words = commands.words_read(joined)
    if req.kind == k.CHANGE and pool:
        if words.says_pending and not re.search(r"\b(received|delivered|got)\b", joined, re.I):
            pool = [o for o in pool if o.status in PENDING] or pool
        elif re.search(r"\b(received|delivered|got|arrived)\b", joined, re.I):
            pool = [o for o in pool if o.status in DELIVERED] or pool
    if words.other_order and st.focus:
        pool = [o for o in pool if o.number not in st.focus] or pool
    elif words.other_order and len(pool) == 2:
        # "the luggage order is fine, but my other order...": the one the items don't name
        named = _by_items(joined, pool, req.kind)
        rest = [o for o in pool if o not in named]
        if len(named) == 1 and len(rest) == 1:
            return rest
    if words.same_order and st.focus:
        same = [o for o in pool if o.number in st.focus]
        if same:
            return same[:1]
    for text in reversed(req.texts):
        scored = _by_items(text, pool, req.kind)
        if scored:
            return scored
    everything = [o for o in snap.orders if o not in pool]
    for text in reversed(req.texts):
        scored = _by_items(text, everything, k.RETURN)
        if len(scored) == 1:
            return scored  # named, but in another state: the step says why it can't be done
    # Nothing in the words picks one: the order the talk is about, if it is one of them.
    focused = [o for o in pool if o.number in st.focus]
    if len(pool) > 1 and len(focused) == 1:
        return focused
    return pool


def _by_items(text: str, pool: list[OrderRecord], kind: str) -> list[OrderRecord]:
    """The orders holding most of the items the words name; the options named break ties
    ("the red 2-slot toaster" against another order's white one)."""
    scores = []
    for order in pool:
        free = [i for i in order.items if not i.request]
        named = items_mentioned(text, free)
        ids = {i.item_id for i in named}
        scores.append(((len(ids), _option_hits(text, named)), order))
    best = max((s for s, _ in scores), default=(0, 0))
    return [o for s, o in scores if s == best] if best[0] else []


def _option_hits(text: str, items: list) -> int:
    lowered = text.lower()
    return sum(
        1
        for item in items
        for value in item.options.values()
        if re.search(rf"\b{re.escape(str(value).lower())}\b", lowered)
    )


_ORDER_WITH = re.compile(
    r"\b(order|one|package) (that has|that had|with|containing)\b.*?(?=,|;|\.|\bthat\b|\bwhich\b|\bi\b|$)",
    re.I,
)


def item_words(text: str) -> str:
    """The words that pick items, without those that pick the order ("my order with the
    keyboard": the keyboard names the order, not an item to return)."""
    return _KEEP.sub(" ", _NAMED_ORDER.sub(" ", _ORDER_WITH.sub(" ", text)))


# "the air purifier order": the product names the order, not an item in it
_NAMED_ORDER = re.compile(r"\b(?:the|my|that|this)\s+(?:[\w-]+\s+){1,3}order\b", re.I)


_KEEP = re.compile(r"\b(keep|keeping|leave|leaving)\b[^,.;]*", re.I)


def order_question(req: Request, pool: list[OrderRecord]) -> str:
    what = {
        k.CANCEL: "cancel",
        k.RETURN: "return items from",
        k.EXCHANGE: "exchange items from",
        k.ORDER_ADDRESS: "change the address of",
        k.USER_ADDRESS: "change",
    }.get(req.kind, "change")
    return f"Which order would you like to {what}: {choices_text([order_text(o) for o in pool])}?"


# --- the step -------------------------------------------------------------------------------


def next_step(req: Request, snap: Snapshot, st: FlowState) -> Step:
    if req.kind == k.USER_ADDRESS:
        return _user_address(req, snap, st)
    pool = candidates(req, snap, st)
    if not pool:
        return _no_order(req, snap)
    if len(pool) > 1:
        req.asked = "order"
        return Step(question=order_question(req, pool), orders=[o.number for o in pool])
    order = pool[0]
    req.order_id = order.number
    if order.status not in STATUSES[req.kind]:
        return Step(
            stop=f"Order {order.number} is {order.status_text()}, so it can't be "
            f"{DOING[req.kind]}.",
            orders=[order.number],
        )
    if req.kind == k.CHANGE:
        req.kind = k.ORDER_ITEMS if order.status in PENDING else k.EXCHANGE
    step = {
        k.CANCEL: _cancel,
        k.ORDER_ADDRESS: _order_address,
        k.ORDER_ITEMS: _changes,
        k.EXCHANGE: _changes,
        k.RETURN: _return,
        k.ORDER_PAYMENT: _payment_change,
    }[req.kind](req, order, snap)
    step.orders = step.orders or [order.number]
    return step


def _no_order(req: Request, snap: Snapshot) -> Step:
    statuses = STATUSES[req.kind]
    joined = " ".join(req.texts)
    named = _by_items(joined, list(snap.orders), k.RETURN)
    if named:
        order = named[0]
        hint = ""
        if req.kind == k.RETURN and order.status in PENDING:
            hint = " It hasn't been delivered yet; a pending order can be cancelled instead."
        return Step(
            stop=f"Order {order.number} is {order.status_text()}, so it can't be "
            f"{DOING[req.kind]}.{hint}",
            orders=[order.number],
        )
    wanted = " or ".join(sorted(Order.Status(s).label.lower() for s in statuses))
    return Step(stop=f"I don't see a {wanted} order on your account that I could use for that.")


def _payment(req: Request, snap: Snapshot, order: OrderRecord, whole: str) -> str:
    for text in reversed([*req.texts, whole] if whole else req.texts):
        method = method_named(text, snap.methods, order.original_method)
        if method is not None:
            return method.method_id
    return ""


def _cancel(req: Request, order: OrderRecord, snap: Snapshot) -> Step:
    joined = " ".join(req.texts)
    words = commands.words_read(joined)
    named = items_mentioned(item_words(joined), list(order.items))
    partial = named and len(named) < len(order.items) and not words.whole_ok
    if (partial and re.search(r"\b(just|only|single)\b", joined, re.I)) or (
        partial and not words.everything
    ):
        if words.whole_not:
            return Step(
                stop=f"I can only cancel a whole order, not single items, so I've left order "
                f"{order.number} as it is."
            )
        req.asked = "whole"
        return Step(
            question=f"I can only cancel a whole order, not single items: order {order.number} "
            f"also has {items_text([i for i in order.items if i not in named])}. Would you like "
            "me to cancel the whole order?"
        )
    reason = next(
        (commands.reason_read(t) for t in reversed(req.texts) if commands.reason_read(t)), ""
    )
    if not reason:
        req.asked = "reason"
        return Step(
            question=f"Why would you like to cancel order {order.number}: is it no longer "
            "needed, or was it ordered by mistake?"
        )
    req.reason = reason
    original = snap.method(order.original_method)
    asked = method_named(joined, snap.methods, order.original_method)
    if original is not None and asked is not None and asked.method_id != original.method_id:
        req.asked = "confirm_refund"
        if words.hold_off:
            return Step(stop=f"All right, I've left order {order.number} as it is.")
    refund = order.net_paid
    req.refund = str(refund)
    where = original.label() if original else "the original payment method"
    timing = (
        "at once"
        if original and original.kind == PaymentMethod.Kind.GIFT_CARD
        else "within 5 to 7 business days"
    )
    note = ""
    if asked is not None and original is not None and asked.method_id != original.method_id:
        note = f" A cancelled order is refunded to the payment it was made with, not to your {asked.label()}."
    summary = (
        f"Cancel order {order.number} ({items_text(list(order.items))}) as {reason}: "
        f"{money(refund)} goes back to your {where} {timing}.{note}"
    )
    return Step(
        proposal=ProposalDraft(
            name=k.CANCEL, args={"order_id": order.number, "reason": reason}, summary=summary
        )
    )


def _address(req: Request, snap: Snapshot, target: OrderRecord | None) -> dict[str, str] | None:
    for text in reversed(req.texts):
        written = address_written(text)
        if written is not None:
            return written.as_dict()
    for text in reversed(req.texts):
        named = [
            o for o in (snap.order(f"#{r.upper()}") for r in commands.ORDER_REF.findall(text)) if o
        ]
        others = [o for o in named if target is None or o.number != target.number]
        if not others:
            others = [
                o
                for o in _by_items(
                    text,
                    [o for o in snap.orders if target is None or o.number != target.number],
                    k.RETURN,
                )
            ]
        pointed = address_pointed(text, snap, target, others)
        if pointed is not None:
            return pointed.as_dict()
    return None


def _order_address(req: Request, order: OrderRecord, snap: Snapshot) -> Step:
    address = _address(req, snap, order)
    if address is None:
        req.asked = "address"
        return Step(
            question=f"What's the new shipping address for order {order.number} (street, "
            "suite if any, city, state, zip code, country)?"
        )
    req.address = address
    text = _address_text(address)
    return Step(
        proposal=ProposalDraft(
            name=k.ORDER_ADDRESS,
            args={"order_id": order.number, **address},
            summary=f"Ship order {order.number} to {text} instead of "
            f"{_address_text(order.address.as_dict())}.",
        )
    )


def _user_address(req: Request, snap: Snapshot, st: FlowState) -> Step:
    address = None
    joined = " ".join(req.texts)
    if st.last_address and _SAME_ADDRESS.search(joined) and not address_written(joined):
        address = dict(st.last_address)
    for text in reversed(req.texts):
        written = address_written(text)
        if written is not None:
            address = written.as_dict()
            break
    if address is None:
        for text in reversed(req.texts):
            named = [
                o
                for o in (snap.order(f"#{r.upper()}") for r in commands.ORDER_REF.findall(text))
                if o
            ]
            named = named or _by_items(text, list(snap.orders), k.RETURN)
            pointed = _pointed_for_profile(text, snap, named)
            if pointed is not None:
                address = pointed
                break
    if address is None:
        req.asked = "address"
        return Step(
            question="What's the new default address (street, suite if any, city, state, zip "
            "code, country)?"
        )
    req.address = address
    return Step(
        proposal=ProposalDraft(
            name=k.USER_ADDRESS,
            args={"user_id": snap.user_id, **address},
            summary=f"Change the default address on your profile to {_address_text(address)} "
            f"(now {_address_text(snap.address.as_dict())}).",
        )
    )


_SAME_ADDRESS = re.compile(
    r"\b(same|that) (new )?(\w+ )?address\b|\bnew (home|address|place|house)\b", re.I
)


def _pointed_for_profile(
    text: str, snap: Snapshot, named: list[OrderRecord]
) -> dict[str, str] | None:
    if named:
        return named[0].address.as_dict()
    if re.search(r"\b(same|that) (new )?address\b|\bnew (home|address|place)\b", text, re.I):
        return None
    pointed = address_pointed(
        re.sub(r"\b(default|profile)\b", "", text, flags=re.I), snap, None, []
    )
    if pointed is not None and pointed.as_dict() != snap.address.as_dict():
        return pointed.as_dict()
    return None


def _address_text(address: dict[str, str]) -> str:
    street = ", ".join(p for p in (address.get("address1"), address.get("address2")) if p)
    return f"{street}, {address.get('city')}, {address.get('state')} {address.get('zip')}, {address.get('country')}"


def _return(req: Request, order: OrderRecord, snap: Snapshot) -> Step:
    free = [i for i in order.items if not i.request]
    items = _items(req, free)
    if not items:
        req.asked = "items"
        return Step(
            question=f"Which items from order {order.number} would you like to return: "
            f"{choices_text([i.label() for i in free])}?"
        )
    req.item_ids = [i.item_id for i in items]
    method_id = _payment(req, snap, order, "")
    allowed = refund_choices(order, snap.methods)
    method = snap.method(method_id) if method_id else None
    if method is None or not refund_allowed(method, order):
        req.asked = "payment"
        said = f"A refund can't go to your {method.label()}. " if method else ""
        return Step(
            question=f"{said}The refund for a return goes to the original payment method or a "
            f"gift card. Which would you like: {choices_text([m.label() for m in allowed])}?"
        )
    req.payment_method_id = method.method_id
    amount = sum((i.price for i in items), ZERO)
    req.refund = str(amount)
    return Step(
        proposal=ProposalDraft(
            name=k.RETURN,
            args={
                "order_id": order.number,
                "item_ids": req.item_ids,
                "payment_method_id": method.method_id,
            },
            summary=f"Return {items_text(items)} from order {order.number}: a refund of "
            f"{money(amount)} to your {method.label()}. You'll get an e-mail saying how to send "
            "the items back.",
        )
    )


def _items(req: Request, free: list[Item]) -> list[Item]:
    for text in reversed(req.texts):
        words = commands.words_read(text)
        kept_words = commands.except_part(text)
        kept = items_read(kept_words, free) if kept_words else []
        picking = item_words(text.replace(kept_words, " ") if kept_words else text)
        named = [i for i in _plural(picking, items_read(picking, free), free) if i not in kept]
        if named:
            return named
        if _NAMED_ORDER.search(text) and not words.everything:
            # "return the blender order": the words naming the order are the items
            named = [i for i in items_mentioned(text, free) if i not in kept]
            if named:
                return named
        if words.everything:
            return [i for i in free if i not in kept]
    if (
        len(free) == 1
        and req.kind == k.RETURN
        and any(re.search(r"\b(it|them|that one)\b", t, re.I) for t in req.texts)
    ):
        return list(free)
    return []


def _plural(text: str, named: list[Item], free: list[Item]) -> list[Item]:
    """ "both skateboards": every identical line the plural names, not one of them."""
    out = list(named)
    for item in named:
        head = item.product_name.lower().split()[-1]
        if re.search(rf"\b(both|all|two|the)\b[^.,]{{0,30}}\b{re.escape(head)}(e?s)\b", text, re.I):
            for other in free:
                if other.product_name == item.product_name and other not in out:
                    out.append(other)
    return out


def _changes(req: Request, order: OrderRecord, snap: Snapshot) -> Step:
    free = [i for i in order.items if not i.request]
    changes = []
    for text in reversed(req.texts):
        changes = changes_read(text, free)
        if changes:
            break
    if not changes:
        req.asked = "items"
        named = []
        for text in reversed(req.texts):
            named = items_read(item_words(text), free)
            if named:
                break
        if named:
            return Step(
                question=f"Which option would you like the {named[0].product_name} changed to? "
                "An item can only become another option of the same product, not a different "
                "product."
            )
        verb = "exchange" if req.kind == k.EXCHANGE else "change"
        return Step(
            question=f"Which items in order {order.number} would you like to {verb}, and to "
            f"which options? It has {choices_text([i.label() for i in free]).replace(' or ', ' and ')}."
        )
    for change in changes:
        if change.problem:
            return Step(stop=change.problem)
        if change.chosen is None:
            req.asked = "variant"
            options = [_options(v.options) + f" ({money(v.price)})" for v in change.candidates]
            return Step(
                question=f"Which {change.item.product_name} would you like instead: "
                f"{choices_text(options)}?"
            )
    req.item_ids = [c.item.item_id for c in changes]
    req.new_item_ids = [c.chosen.item_id for c in changes]
    difference = sum((c.chosen.price - c.item.price for c in changes), ZERO)
    method_id = _payment(req, snap, order, "")
    method = snap.method(method_id) if method_id else None
    if method is None:
        req.asked = "payment"
        return Step(
            question="Which payment method should pay or receive the price difference: "
            f"{choices_text([m.label() for m in snap.methods])}?"
        )
    if method.kind == PaymentMethod.Kind.GIFT_CARD and difference > (method.balance or ZERO):
        req.asked = "payment"
        return Step(
            question=f"Your gift card has {money(method.balance or ZERO)}, which doesn't cover "
            f"the {money(difference)} difference. Which other method should pay it?"
        )
    req.payment_method_id = method.method_id
    req.refund = str(-difference) if difference < 0 else ""
    req.charge = str(difference) if difference > 0 else ""
    swaps = "; ".join(
        f"{c.item.product_name} ({_options(c.item.options)}) to {_options(c.chosen.options)}"
        for c in changes
    )
    money_part = (
        f"{money(difference)} charged to your {method.label()}"
        if difference > 0
        else f"{money(-difference)} refunded to your {method.label()}"
        if difference < 0
        else f"no price difference ({method.label()} on file for it)"
    )
    if req.kind == k.EXCHANGE:
        summary = (
            f"Exchange in order {order.number}: {swaps}. Price difference: {money_part}. "
            "You'll get an e-mail saying how to send the old items back. Please check these are "
            "all the items you want to exchange."
        )
    else:
        summary = (
            f"Change in order {order.number}: {swaps}. Price difference: {money_part}. An "
            "order's items can be changed only once, so please check these are all the items "
            "you want to change."
        )
    return Step(
        proposal=ProposalDraft(
            name=req.kind,
            args={
                "order_id": order.number,
                "item_ids": req.item_ids,
                "new_item_ids": req.new_item_ids,
                "payment_method_id": method.method_id,
            },
            summary=summary,
        )
    )


def _options(options: dict[str, str]) -> str:
    return ", ".join(str(v) for v in options.values())


def _payment_change(req: Request, order: OrderRecord, snap: Snapshot) -> Step:
    method_id = _payment(req, snap, order, "")
    method = snap.method(method_id) if method_id else None
    others = [m for m in snap.methods if m.method_id != order.original_method]
    if not others:
        return Step(
            stop=f"Order {order.number} is already paid with the only payment method on your "
            "account, so there is no other one to switch to."
        )
    if method is None:
        req.asked = "payment"
        return Step(
            question=f"Which payment method should order {order.number} be paid with: "
            f"{choices_text([m.label() for m in others])}?"
        )
    if method.method_id == order.original_method:
        return Step(stop=f"Order {order.number} is already paid with your {method.label()}.")
    total = order.net_paid
    if method.kind == PaymentMethod.Kind.GIFT_CARD and total > (method.balance or ZERO):
        return Step(
            stop=f"Your gift card has {money(method.balance or ZERO)}, which doesn't cover the "
            f"order's {money(total)}."
        )
    req.payment_method_id = method.method_id
    old = snap.method(order.original_method)
    return Step(
        proposal=ProposalDraft(
            name=k.ORDER_PAYMENT,
            args={"order_id": order.number, "payment_method_id": method.method_id},
            summary=f"Pay order {order.number} ({money(total)}) with your {method.label()}; "
            f"your {old.label() if old else 'original payment'} is refunded {money(total)}.",
        )
    )
