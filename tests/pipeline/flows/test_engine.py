"""The flows on a small store of the test's own: identity, each request from words to proposal
to result, a decline, an ambiguous order, and the stores the flows leave to the older lanes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings

from orders.models import ActionRecord, Customer, Order, PaymentMethod
from pipeline.flows import FlowContext, flow_turn
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


# --- identity -------------------------------------------------------------------------------


def test_name_and_zip_find_the_customer_of_this_store(chat, shop):
    reply = chat.say("good morning, I'm Rosa Lindqvist and my zip code is 45402")
    assert reply.verified_customer_id == shop.customer.pk
    assert "found your account" in reply.text


def test_e_mail_alone_finds_the_customer(chat, shop):
    reply = chat.say("you can reach me at ROSA.lindqvist@example.test")
    assert reply.verified_customer_id == shop.customer.pk


def test_name_one_turn_and_zip_the_next(chat, shop):
    first = chat.say("my name is Rosa Lindqvist, I need help with my order")
    assert first.verified_customer_id is None
    assert "full name and zip code" in first.text
    assert chat.say("the zip is 45402").verified_customer_id == shop.customer.pk


def test_a_wrong_zip_is_refused_and_counted_until_a_person_takes_over(chat):
    with override_settings(VERIFY_ATTEMPTS_PER_HOUR=2):
        first = chat.say("Rosa Lindqvist, zip 45499")
        assert first.verified_customer_id is None
        assert "couldn't find an account" in first.text
        chat.say("sorry, Rosa Lindqvist, zip 45498")
        locked = chat.say("Rosa Lindqvist, zip 45402")
    assert locked.verified_customer_id is None
    assert locked.handoff_reason


def test_a_customer_of_another_store_is_not_found_here(chat, shop):
    Customer.objects.create(
        name="Ola Berg", email="ola.berg@example.test", tier=shop.customer.tier, zip="10001"
    )  # the demo store's customer
    reply = chat.say("I'm Ola Berg, ola.berg@example.test")
    assert reply.verified_customer_id is None


def test_stores_that_verify_by_order_number_keep_the_older_lanes(db):
    conversation = ConversationFactory()  # the demo store: order number and e-mail
    context = FlowContext(conversation_id=conversation.pk, customer_id=None, now=None)
    assert flow_turn(context=context, text="cancel my order please", state={}) is None


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_names_the_order_by_its_item_and_reads_the_reason(signed, shop):
    reply = signed.say("please cancel the order with the rain jacket, we don't need it any more")
    assert reply.proposal.name == "cancel_pending_order"
    assert reply.proposal.args == {"order_id": "#C10001", "reason": "no longer needed"}
    assert "$90.00" in reply.proposal.summary and "Visa ending 4242" in reply.proposal.summary
    done = signed.decide(accept=True)
    assert "cancelled" in done and "$90.00" in done
    shop.pending.refresh_from_db()
    assert shop.pending.status == Order.Status.CANCELLED


def test_cancel_asks_the_reason_when_none_is_given(signed):
    question = signed.say("cancel order #C10003")
    assert question.proposal is None
    assert "no longer needed" in question.text and "ordered by mistake" in question.text
    reply = signed.say("I placed it by accident")
    assert reply.proposal.args == {"order_id": "#C10003", "reason": "ordered by mistake"}


def test_several_candidate_orders_are_named_in_the_question(signed):
    reply = signed.say("I'd like to cancel my pending order, it's no longer needed")
    assert reply.proposal is None
    assert "#C10001" in reply.text and "#C10003" in reply.text
    picked = signed.say("the one with the rain jacket")
    assert picked.proposal.args["order_id"] == "#C10001"


def test_both_pending_orders_are_proposed_one_after_the_other(signed):
    first = signed.say("cancel both of my pending orders, I ordered them by mistake")
    assert first.proposal.args["order_id"] == "#C10001"
    after = signed.decide(accept=True)
    proposal = signed.open_proposal()
    assert "#C10003" in after
    assert proposal.arguments == {"order_id": "#C10003", "reason": "ordered by mistake"}


def test_a_single_item_cannot_be_cancelled_and_the_order_is_left_alone(signed, shop):
    reply = signed.say(
        "cancel only the desk fan in my pending order with the jacket; if that means the whole "
        "order goes, don't touch it"
    )
    assert reply.proposal is None
    assert "whole order" in reply.text
    assert not ActionRecord.objects.exists()


def test_a_declined_proposal_changes_nothing_and_is_not_put_again(signed, shop):
    signed.say("cancel order #C10003, I don't need it")
    declined = signed.decide(accept=False)
    assert "haven't changed anything" in declined
    assert Order.objects.get(pk=shop.pending_two.pk).status == Order.Status.PENDING
    again = signed.say("cancel order #C10003, I don't need it")
    assert again.proposal is None
    assert "declined" in again.text


# --- returns and exchanges ------------------------------------------------------------------


def test_a_refund_goes_only_to_the_original_method_or_a_gift_card(signed):
    asked = signed.say("I want to return the desk fan I received, refund it to my paypal please")
    assert asked.proposal is None
    assert "Visa ending 4242" in asked.text and "gift card" in asked.text
    reply = signed.say("fine, put it on the visa ending 4242 then")
    assert reply.proposal.name == "return_delivered_order_items"
    assert reply.proposal.args == {
        "order_id": "#C10002",
        "item_ids": ["1102"],
        "payment_method_id": "card_77",
    }
    assert "$36.00" in reply.proposal.summary


def test_the_total_coming_back_adds_up_the_done_actions(signed):
    signed.say("return everything from the order I received, to my gift card")
    signed.decide(accept=True)
    reply = signed.say("what is the total refund I will receive?")
    assert "$100.00" in reply.text


def test_an_exchange_resolves_the_variant_and_settles_the_difference(signed):
    reply = signed.say(
        "I got my rain jacket but I'd like to swap it for the green one in size M. "
        "any difference on my visa ending 4242"
    )
    assert reply.proposal.name == "exchange_delivered_order_items"
    assert reply.proposal.args == {
        "order_id": "#C10002",
        "item_ids": ["2202"],
        "new_item_ids": ["2201"],
        "payment_method_id": "card_77",
    }
    assert "$4.00" in reply.proposal.summary


def test_a_pending_item_change_asks_for_the_payment_method(signed, shop):
    asked = signed.say("in order #C10003 please change the desk fan to the white one")
    assert asked.proposal is None
    assert "PayPal" in asked.text and "Visa ending 4242" in asked.text
    reply = signed.say("use the gift card")
    assert reply.proposal.name == "modify_pending_order_items"
    assert reply.proposal.args["new_item_ids"] == ["1101"]
    signed.decide(accept=True)
    gift = PaymentMethod.objects.get(pk=shop.gift.pk)
    assert gift.balance == Decimal("86.00")  # $6.00 back for the cheaper fan


# --- addresses and payment ------------------------------------------------------------------


def test_an_order_address_written_out_is_parsed_into_fields(signed):
    reply = signed.say(
        "please change the shipping address of order #C10003 to 12 Birch Road, Apt 4, "
        "Portland, OR 97201, USA"
    )
    assert reply.proposal.name == "modify_pending_order_address"
    assert reply.proposal.args == {
        "order_id": "#C10003",
        "address1": "12 Birch Road",
        "address2": "Apt 4",
        "city": "Portland",
        "state": "OR",
        "zip": "97201",
        "country": "USA",
    }


def test_the_default_address_changes_on_the_profile(signed, shop):
    reply = signed.say("update the default address on my profile to 3 Quay Street, Salem, MA 01970")
    assert reply.proposal.name == "modify_user_address"
    assert reply.proposal.args["user_id"] == "rosa_lind_1"
    signed.decide(accept=True)
    shop.customer.refresh_from_db()
    assert (shop.customer.address1, shop.customer.zip) == ("3 Quay Street", "01970")


def test_the_payment_of_a_pending_order_changes_to_a_named_method(signed):
    reply = signed.say(
        "I'd like to change the payment method for order #C10003 to my visa ending 4242"
    )
    assert reply.proposal.name == "modify_pending_order_payment"
    assert reply.proposal.args == {"order_id": "#C10003", "payment_method_id": "card_77"}


def test_questions_about_an_order_are_answered_from_its_records(signed):
    reply = signed.say("what's the most expensive item in order #C10002?")
    assert "Rain Jacket" in reply.text and "$64.00" in reply.text
    assert reply.proposal is None


def test_a_request_the_store_cannot_handle_is_said_so_and_a_person_on_request(signed):
    cannot = signed.say("please undo the cancellation of my old order")
    assert cannot.proposal is None and "isn't something I can do" in cannot.text
    human = signed.say("then let me talk to a human agent")
    assert human.handoff_reason


def test_the_state_keeps_its_shape_through_json(signed):
    from conversations.proposals import state_load
    from pipeline.flows.state import FlowState

    signed.say("cancel my pending order")
    raw = state_load(conversation_id=signed.conversation.pk)
    state = FlowState.from_dict(raw)
    assert state.requests and state.requests[0].kind == "cancel_pending_order"
    assert FlowState.from_dict(state.to_dict()) == state


def test_an_unrelated_message_is_left_to_the_older_lanes(signed):
    assert signed.say("what a lovely day it is") is None


def test_asking_for_what_the_policy_rules_out_is_answered_not_queued(signed):
    reply = signed.say("can I exchange the rain jacket I received for the exact same one?")
    assert reply.proposal is None
    assert "different option" in reply.text
    assert signed.say("thanks, that's all") is None


def test_the_product_naming_the_order_is_the_item_given_back(signed):
    reply = signed.say(
        "I got the rain jacket order, please give it back for a refund to my visa ending 4242"
    )
    assert reply.proposal.name == "return_delivered_order_items"
    assert reply.proposal.args["order_id"] == "#C10002"
    assert reply.proposal.args["item_ids"] == ["2202"]
