"""A small store run by the flows, built here: one customer with a card, PayPal and a gift card,
two products with variants, a pending order and a delivered one, and the helpers that play a
conversation the way chat.turns and chat.decisions do."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from chat.decisions import decision_apply
from conversations.models import Conversation
from conversations.proposals import proposal_open, proposal_open_get, state_load, state_save
from orders.models import (
    Customer,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Product,
    ProductVariant,
    Store,
    StorePolicy,
)
from orders.tau2 import TAU2_ACTIONS
from pipeline.flows import FlowContext, FlowReply, flow_turn
from tests.factories import ConversationFactory, LoyaltyTierFactory, ShippingMethodFactory


@dataclass
class Shop:
    store: Store
    customer: Customer
    card: PaymentMethod
    paypal: PaymentMethod
    gift: PaymentMethod
    pending: Order
    pending_two: Order
    delivered: Order
    variants: dict[str, ProductVariant]


def _variant(product: Product, ref: str, price: str, **options: str) -> ProductVariant:
    return ProductVariant.objects.create(
        product=product, external_id=ref, options=options, price=Decimal(price), available=True
    )


def _order(shop_store, customer, number, status, lines, method) -> Order:
    total = sum((Decimal(v.price) for v in lines), Decimal("0.00"))
    order = Order.objects.create(
        store=shop_store,
        number=number,
        external_id=number,
        customer=customer,
        status=status,
        shipping_method=ShippingMethodFactory(),
        shipping_address="9 Elm Court, Dayton, OH 45402",
        address1="9 Elm Court",
        city="Dayton",
        state="OH",
        zip="45402",
        country="USA",
        subtotal=total,
        total=total,
        shipping_cost=Decimal("0.00"),
    )
    for variant in lines:
        OrderItem.objects.create(
            order=order,
            product=variant.product,
            variant=variant,
            quantity=1,
            unit_price=variant.price,
        )
    Payment.objects.create(order=order, method=method, kind=Payment.Kind.PAYMENT, amount=total)
    return order


@pytest.fixture
def shop(db) -> Shop:
    store = Store.objects.create(code="corner-shop", name="Corner shop")
    StorePolicy.objects.filter(pk=StorePolicy.load("corner-shop").pk).update(
        identity_proofs=["email", "name_and_zip"],
        cancel_reasons=["no longer needed", "ordered by mistake"],
        refund_destinations=["original", "gift_card"],
        bot_actions=TAU2_ACTIONS,
        modifiable_statuses=[Order.Status.PENDING],
        return_window_days=None,
        bot_refund_limit=Decimal("9999.00"),
    )
    customer = Customer.objects.create(
        store=store,
        external_id="rosa_lind_1",
        name="Rosa Lindqvist",
        email="rosa.lindqvist@example.test",
        tier=LoyaltyTierFactory(),
        address1="9 Elm Court",
        city="Dayton",
        state="OH",
        zip="45402",
        country="USA",
    )
    card = PaymentMethod.objects.create(
        customer=customer, external_id="card_77", kind="credit_card", brand="visa", last_four="4242"
    )
    paypal = PaymentMethod.objects.create(customer=customer, external_id="paypal_77", kind="paypal")
    gift = PaymentMethod.objects.create(
        customer=customer, external_id="gift_77", kind="gift_card", balance=Decimal("80.00")
    )
    fan = Product.objects.create(
        store=store, external_id="p-fan", sku="CS-FAN", name="Desk Fan", price=30
    )
    coat = Product.objects.create(
        store=store, external_id="p-coat", sku="CS-COAT", name="Rain Jacket", price=60
    )
    variants = {
        "fan_white": _variant(fan, "1101", "30.00", color="white", speeds="3"),
        "fan_black": _variant(fan, "1102", "36.00", color="black", speeds="5"),
        "coat_green_m": _variant(coat, "2201", "60.00", color="green", size="M"),
        "coat_navy_l": _variant(coat, "2202", "64.00", color="navy", size="L"),
    }
    pending = _order(
        store,
        customer,
        "#C10001",
        Order.Status.PENDING,
        [variants["fan_white"], variants["coat_green_m"]],
        card,
    )
    pending_two = _order(
        store, customer, "#C10003", Order.Status.PENDING, [variants["fan_black"]], paypal
    )
    delivered = _order(
        store,
        customer,
        "#C10002",
        Order.Status.DELIVERED,
        [variants["coat_navy_l"], variants["fan_black"]],
        card,
    )
    return Shop(store, customer, card, paypal, gift, pending, pending_two, delivered, variants)


class Chat:
    """One conversation in the shop, played turn by turn as the chat app would."""

    def __init__(self, shop: Shop, *, visitor_key: str = "") -> None:
        self.conversation = ConversationFactory(store=shop.store)
        self.visitor_key = visitor_key

    def say(self, text: str) -> FlowReply | None:
        conversation = Conversation.objects.get(pk=self.conversation.pk)
        context = FlowContext(
            conversation_id=conversation.pk,
            customer_id=conversation.customer_id,
            now=timezone.now(),
            store_id=conversation.store_id,
            visitor_key=self.visitor_key,
        )
        reply = flow_turn(
            context=context, text=text, state=state_load(conversation_id=conversation.pk)
        )
        if reply is None:
            return None
        self._keep(reply)
        return reply

    def decide(self, accept: bool) -> str:
        proposal = proposal_open_get(conversation_id=self.conversation.pk)
        assert proposal is not None, "no proposal is open"
        write = decision_apply(
            conversation_id=self.conversation.pk, proposal_id=str(proposal.pk), accept=accept
        )
        return write.message.text

    def open_proposal(self):
        return proposal_open_get(conversation_id=self.conversation.pk)

    def _keep(self, reply: FlowReply) -> None:
        if reply.state is not None:
            state_save(conversation_id=self.conversation.pk, data=reply.state)
        if reply.verified_customer_id:
            Conversation.objects.filter(pk=self.conversation.pk).update(
                customer_id=reply.verified_customer_id
            )
        if reply.proposal is not None:
            proposal_open(
                conversation_id=self.conversation.pk,
                name=reply.proposal.name,
                arguments=reply.proposal.args,
                summary=reply.proposal.summary,
                reply_to_id=None,
            )


@pytest.fixture
def chat(shop) -> Chat:
    return Chat(shop)


@pytest.fixture
def signed(shop) -> Chat:
    """A conversation whose visitor has already proved who they are."""
    talk = Chat(shop)
    assert talk.say("hello, this is Rosa Lindqvist, zip 45402").verified_customer_id
    return talk
