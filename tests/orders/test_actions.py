"""Each action: allowed, refused by each rule with the sentence the customer is told, idempotent
per proposal id, and recorded."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from orders.actions import (
    ActionRefused,
    Actor,
    cancel_pending_order,
    exchange_delivered_order_items,
    modify_pending_order_address,
    modify_pending_order_items,
    modify_pending_order_payment,
    modify_user_address,
    return_delivered_order_items,
)
from orders.actions.base import NEEDS_A_PERSON
from orders.models import ActionRecord, Address, Order, OrderItem, Payment, StorePolicy
from tests.orders.store import Shop, agent, refs, shop_build

pytestmark = pytest.mark.django_db
BOT = Actor.bot()
HOME = Address("1 New Road", "Apt 2", "Austin", "TX", "USA", "73301")


@pytest.fixture
def shop() -> Shop:
    return shop_build()


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(ActionRefused) as caught:
        call(*args, **kwargs)
    return caught.value.reason


def done_records() -> int:
    return ActionRecord.objects.filter(status="done").count()


# cancel


def test_cancel_refunds_the_card_and_records_the_action(shop: Shop) -> None:
    record = cancel_pending_order(
        order_id=shop.pending.number, reason=" Ordered by mistake ", actor=BOT, proposal_id="p1"
    )
    shop.pending.refresh_from_db()
    assert shop.pending.status == Order.Status.CANCELLED
    assert shop.pending.cancel_reason == "ordered by mistake"
    refund = shop.pending.payments.get(kind=Payment.Kind.REFUND)
    assert (refund.method, refund.amount) == (shop.card, D("100.00"))
    assert record.actor_kind == "bot" and record.status == "done" and not record.policy_override
    assert record.as_tau2() == {
        "name": "cancel_pending_order",
        "args": {"order_id": shop.pending.number, "reason": "ordered by mistake"},
    }


def test_cancel_paid_by_gift_card_credits_the_card_at_once(shop: Shop) -> None:
    Payment.objects.filter(order=shop.pending).update(method=shop.gift)
    cancel_pending_order(
        order_id=shop.pending.number, reason="no longer needed", actor=BOT, proposal_id="p1"
    )
    shop.gift.refresh_from_db()
    assert shop.gift.balance == D("130.00")


def test_cancel_refuses_a_reason_the_policy_does_not_accept(shop: Shop) -> None:
    reason = refused(
        cancel_pending_order,
        order_id=shop.pending.number,
        reason="found it cheaper",
        actor=BOT,
        proposal_id="p1",
    )
    assert reason == "I can cancel an order only when it is no longer needed or ordered by mistake."
    shop.pending.refresh_from_db()
    assert shop.pending.status == Order.Status.PENDING and not shop.pending.payments.filter(
        kind="refund"
    )
    refusal = ActionRecord.objects.get()
    assert (refusal.status, refusal.refusal) == ("refused", reason)


def test_cancel_refuses_an_order_no_longer_pending(shop: Shop) -> None:
    reason = refused(
        cancel_pending_order,
        order_id=shop.delivered.number,
        reason="no longer needed",
        actor=BOT,
        proposal_id="p1",
    )
    assert reason == f"Order {shop.delivered.number} can't be cancelled: it is delivered."


def test_cancel_refuses_an_order_of_another_customer(shop: Shop) -> None:
    reason = refused(
        cancel_pending_order,
        order_id=shop.pending.number,
        reason="no longer needed",
        actor=BOT,
        proposal_id="p1",
        customer_id=shop.customer.pk + 1000,
    )
    assert reason == "I can only help with the account you signed in with."


def test_same_proposal_twice_writes_once(shop: Shop) -> None:
    kwargs = {"order_id": shop.pending.number, "reason": "no longer needed", "actor": BOT}
    first = cancel_pending_order(**kwargs, proposal_id="p1")
    second = cancel_pending_order(**kwargs, proposal_id="p1")
    assert second.pk == first.pk and done_records() == 1
    assert shop.pending.payments.filter(kind="refund").count() == 1


def test_the_unique_proposal_constraint_returns_the_first_record(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two submissions that both passed the look-up (as two processes can on SQLite): the
    database's unique constraint stops the second write, which answers with the first record."""
    from orders.actions import base

    first = modify_user_address(user_id="pat_lee_1", address=HOME, actor=BOT, proposal_id="p1")
    real = base._done_record
    calls = []

    def blind_once(request):
        calls.append(request)
        return None if len(calls) == 1 else real(request)

    monkeypatch.setattr(base, "_done_record", blind_once)
    second = modify_user_address(user_id="pat_lee_1", address=HOME, actor=BOT, proposal_id="p1")
    assert second.pk == first.pk and done_records() == 1


def test_agent_with_the_permission_overrides_the_cancel_reason(shop: Shop) -> None:
    record = cancel_pending_order(
        order_id=shop.pending.number,
        reason="found it cheaper",
        actor=Actor.agent(agent(may_override=True)),
        proposal_id="p1",
    )
    assert record.policy_override and record.actor_kind == "agent" and record.agent is not None
    assert record.actor_name == "Dana" and record.result["overrides"]


def test_agent_without_the_permission_is_held_to_the_policy(shop: Shop) -> None:
    refused(
        cancel_pending_order,
        order_id=shop.pending.number,
        reason="found it cheaper",
        actor=Actor.agent(agent(may_override=False)),
        proposal_id="p1",
    )


def test_what_the_bot_may_not_do_alone_needs_an_agent(shop: Shop) -> None:
    policy = StorePolicy.load()
    policy.bot_actions = ["cancel_pending_order"]
    policy.save()
    kwargs = {"order_id": shop.pending.number, "address": HOME, "proposal_id": "p1"}
    assert refused(modify_pending_order_address, actor=BOT, **kwargs) == NEEDS_A_PERSON
    # The list is what the bot may do alone: an agent is the person, no override needed.
    record = modify_pending_order_address(actor=Actor.agent(agent(may_override=False)), **kwargs)
    assert not record.policy_override


def test_an_agent_who_does_not_ask_to_override_is_held_to_the_policy(shop: Shop) -> None:
    refused(
        cancel_pending_order,
        order_id=shop.pending.number,
        reason="found it cheaper",
        actor=Actor.agent(agent(may_override=True), override=False),
        proposal_id="p1",
    )


# addresses


def test_change_order_address_keeps_the_text_label_readable(shop: Shop) -> None:
    modify_pending_order_address(
        order_id=shop.pending.number, address=HOME, actor=BOT, proposal_id="p1"
    )
    shop.pending.refresh_from_db()
    assert shop.pending.address == HOME
    assert "1 New Road, Apt 2" in shop.pending.shipping_address
    assert "Austin, TX 73301" in shop.pending.shipping_address


def test_change_order_address_refused_once_delivered(shop: Shop) -> None:
    reason = refused(
        modify_pending_order_address,
        order_id=shop.delivered.number,
        address=HOME,
        actor=BOT,
        proposal_id="p1",
    )
    assert "can't be changed: it is delivered" in reason


def test_change_default_address(shop: Shop) -> None:
    record = modify_user_address(user_id="pat_lee_1", address=HOME, actor=BOT, proposal_id="p1")
    shop.customer.refresh_from_db()
    assert shop.customer.address == HOME
    assert record.as_tau2()["args"] == {"user_id": "pat_lee_1", **HOME.as_dict()}


# modify items


def modify_items(shop: Shop, new, method, proposal_id: str = "p1", old=None):
    return modify_pending_order_items(
        order_id=shop.pending.number,
        item_ids=refs(*(old or [shop.blue])),
        new_item_ids=refs(*new),
        payment_method_id=method.external_id,
        actor=BOT,
        proposal_id=proposal_id,
    )


def test_modify_items_charges_the_difference(shop: Shop) -> None:
    modify_items(shop, [shop.red], shop.card)
    shop.pending.refresh_from_db()
    assert shop.pending.status == Order.Status.ITEMS_MODIFIED
    assert shop.pending.total == D("110.00")
    assert shop.pending.items.filter(variant=shop.red, unit_price=D("60.00")).exists()
    charge = shop.pending.payments.last()
    assert (charge.kind, charge.method, charge.amount) == ("payment", shop.card, D("10.00"))


def test_modify_items_refunds_a_cheaper_swap_to_the_gift_card(shop: Shop) -> None:
    modify_items(shop, [shop.other_mug], shop.gift, old=[shop.mug])
    shop.gift.refresh_from_db()
    assert shop.gift.balance == D("40.00")


def test_modify_items_only_once_per_order(shop: Shop) -> None:
    modify_items(shop, [shop.red], shop.card)
    reason = refused(modify_items, shop, [shop.other_mug], shop.card, "p2", old=[shop.mug])
    assert reason == (
        f"Order {shop.pending.number}'s items have already been changed once, so it can't be "
        "changed any more."
    )
    cancel = refused(
        cancel_pending_order,
        order_id=shop.pending.number,
        reason="no longer needed",
        actor=BOT,
        proposal_id="p3",
    )
    assert "already been changed once" in cancel


def test_modify_items_refuses_another_product(shop: Shop) -> None:
    reason = refused(modify_items, shop, [shop.mug], shop.card)
    assert reason == (
        "Item 200 isn't an option of the T-Shirt; an item can only be swapped for another "
        "option of the same product."
    )


def test_modify_items_refuses_an_unavailable_option(shop: Shop) -> None:
    assert refused(modify_items, shop, [shop.green], shop.card) == (
        "The T-Shirt (color green) isn't available."
    )


def test_modify_items_refuses_an_item_not_on_the_order(shop: Shop) -> None:
    reason = refused(modify_items, shop, [shop.blue], shop.card, old=[shop.red])
    assert reason == "Item 101 isn't on this order, or is already part of a request."


def test_modify_items_refuses_a_gift_card_short_of_the_difference(shop: Shop) -> None:
    shop.gift.balance = D("5.00")
    shop.gift.save()
    reason = refused(modify_items, shop, [shop.red], shop.gift)
    assert reason == "The gift card has $5.00, which doesn't cover the $10.00 needed."
    assert Order.objects.get(pk=shop.pending.pk).status == Order.Status.PENDING


# modify payment


def test_modify_payment_moves_the_charge_to_the_gift_card(shop: Shop) -> None:
    shop.gift.balance = D("150.00")
    shop.gift.save()
    modify_pending_order_payment(
        order_id=shop.pending.number, payment_method_id="gift_card_1", actor=BOT, proposal_id="p1"
    )
    shop.gift.refresh_from_db()
    assert shop.gift.balance == D("50.00")
    kinds = list(shop.pending.payments.values_list("kind", "method__external_id", "amount"))
    assert kinds[-2:] == [
        ("payment", "gift_card_1", D("100.00")),
        ("refund", "credit_card_1", D("100.00")),
    ]


def test_modify_payment_refuses_the_same_method(shop: Shop) -> None:
    reason = refused(
        modify_pending_order_payment,
        order_id=shop.pending.number,
        payment_method_id="credit_card_1",
        actor=BOT,
        proposal_id="p1",
    )
    assert reason == "That's already the payment method for this order."


def test_modify_payment_refuses_a_short_gift_card(shop: Shop) -> None:
    reason = refused(
        modify_pending_order_payment,
        order_id=shop.pending.number,
        payment_method_id="gift_card_1",
        actor=BOT,
        proposal_id="p1",
    )
    assert reason == "The gift card has $30.00, which doesn't cover the $100.00 needed."


def test_modify_payment_refuses_a_method_of_someone_else(shop: Shop) -> None:
    reason = refused(
        modify_pending_order_payment,
        order_id=shop.pending.number,
        payment_method_id="paypal_999",
        actor=BOT,
        proposal_id="p1",
    )
    assert reason == "That payment method isn't one saved on your account."


# return


def return_items(shop: Shop, items, method, proposal_id: str = "p1", actor: Actor = BOT):
    return return_delivered_order_items(
        order_id=shop.delivered.number,
        item_ids=refs(*items),
        payment_method_id=method.external_id,
        actor=actor,
        proposal_id=proposal_id,
    )


def test_return_to_the_original_method(shop: Shop) -> None:
    record = return_items(shop, [shop.blue, shop.blue], shop.card)
    shop.delivered.refresh_from_db()
    assert shop.delivered.status == Order.Status.RETURN_REQUESTED
    assert shop.delivered.items.filter(request=OrderItem.Request.RETURN).count() == 2
    assert record.result["refund"] == "100.00"


def test_return_to_an_existing_gift_card(shop: Shop) -> None:
    assert return_items(shop, [shop.mug], shop.gift).result["payment_method_id"] == "gift_card_1"


def test_return_refuses_another_method(shop: Shop) -> None:
    reason = refused(return_items, shop, [shop.mug], shop.paypal)
    assert reason == (
        "A refund can only go to the original payment method or an existing gift card."
    )


def test_return_refuses_a_pending_order(shop: Shop) -> None:
    reason = refused(
        return_delivered_order_items,
        order_id=shop.pending.number,
        item_ids=["100"],
        payment_method_id="credit_card_1",
        actor=BOT,
        proposal_id="p1",
    )
    assert reason == f"Order {shop.pending.number} can't be returned: it is pending, not delivered."


def test_return_refuses_past_the_window(shop: Shop) -> None:
    policy = StorePolicy.load()
    policy.return_window_days = 2
    policy.save()
    reason = refused(return_items, shop, [shop.mug], shop.card)
    assert reason == (
        f"Order {shop.delivered.number} was delivered 3 days ago, past our 2-day window for "
        "returns and exchanges."
    )


def test_return_over_the_bot_limit_needs_an_agent(shop: Shop) -> None:
    policy = StorePolicy.load()
    policy.bot_refund_limit = D("60.00")
    policy.save()
    reason = refused(return_items, shop, [shop.blue, shop.mug], shop.card)
    assert reason.startswith("A refund of $100.00 is more than I can approve on my own")
    record = return_items(
        shop, [shop.blue, shop.mug], shop.card, "p2", Actor.agent(agent(may_override=True))
    )
    assert record.policy_override


def test_a_second_return_is_refused(shop: Shop) -> None:
    return_items(shop, [shop.mug], shop.card)
    reason = refused(return_items, shop, [shop.blue], shop.card, "p2")
    assert reason == (
        f"A return has already been requested for order {shop.delivered.number}, so its items "
        "can't be returned now."
    )


# exchange


def exchange(shop: Shop, old, new, method, proposal_id: str = "p1"):
    return exchange_delivered_order_items(
        order_id=shop.delivered.number,
        item_ids=refs(*old),
        new_item_ids=refs(*new),
        payment_method_id=method.external_id,
        actor=BOT,
        proposal_id=proposal_id,
    )


def test_exchange_two_identical_items(shop: Shop) -> None:
    record = exchange(shop, [shop.blue, shop.blue], [shop.red, shop.red], shop.gift)
    assert record.result["price_difference"] == "20.00"
    shop.delivered.refresh_from_db()
    assert shop.delivered.status == Order.Status.EXCHANGE_REQUESTED
    assert shop.delivered.items.filter(exchange_variant=shop.red).count() == 2


def test_exchange_only_once_per_order(shop: Shop) -> None:
    exchange(shop, [shop.blue], [shop.red], shop.card)
    reason = refused(exchange, shop, [shop.mug], [shop.other_mug], shop.card, "p2")
    assert reason == (
        f"An exchange has already been requested for order {shop.delivered.number}, so its "
        "items can't be exchanged now."
    )


def test_exchange_refuses_another_product_and_a_short_gift_card(shop: Shop) -> None:
    assert "same product" in refused(exchange, shop, [shop.blue], [shop.mug], shop.card)
    shop.gift.balance = D("19.99")
    shop.gift.save()
    reason = refused(exchange, shop, [shop.blue, shop.blue], [shop.red, shop.red], shop.gift)
    assert reason == "The gift card has $19.99, which doesn't cover the $20.00 needed."


def test_erasure_blanks_the_addresses_and_card_digits_issue_20_added(shop: Shop) -> None:
    from orders.services import customer_store_data_erase

    modify_user_address(user_id="pat_lee_1", address=HOME, actor=BOT, proposal_id="p1")
    modify_pending_order_address(
        order_id=shop.pending.number, address=HOME, actor=BOT, proposal_id="p2"
    )
    customer_store_data_erase(customer_id=shop.customer.pk)
    shop.customer.refresh_from_db()
    shop.card.refresh_from_db()
    assert shop.customer.address1 == "" and shop.card.last_four == ""
    assert not Order.objects.filter(customer=shop.customer).exclude(address1="").exists()
    for record in ActionRecord.objects.filter(customer=shop.customer):
        assert "1 New Road" not in str(record.arguments) + str(record.result)
