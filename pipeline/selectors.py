"""Turn database rows into the frozen views the stages reason over (sync; call off the loop)."""

from __future__ import annotations

from knowledge.render import article_url, fill_policy
from knowledge.search import Hit
from orders.models import (
    Customer,
    ExpediteOption,
    LoyaltyTier,
    Order,
    StorePolicy,
)
from pipeline.types import (
    ArticleView,
    CustomerView,
    ExpediteChoice,
    OrderView,
    PolicyView,
    ShipmentView,
    TrackingScan,
)


def customer_view(customer: Customer, *, top_rank: int) -> CustomerView:
    tier = customer.tier
    return CustomerView(
        id=customer.pk,
        name=customer.name,
        first_name=customer.first_name,
        email=customer.email,
        tier_code=tier.code,
        tier_name=tier.name,
        discount_rate=tier.discount_rate,
        max_discount=tier.max_discount,
        min_subtotal=tier.min_subtotal,
        retroactive_days=tier.retroactive_days,
        top_tier=tier.rank >= top_rank,
    )


def top_tier_rank() -> int:
    return LoyaltyTier.objects.order_by("-rank").values_list("rank", flat=True).first() or 0


def order_view(order: Order) -> OrderView:
    """Expects an order from orders.selectors (items, refunds, shipments and events prefetched)."""
    shipments = list(order.shipments.all())
    return OrderView(
        number=order.number,
        status=order.status,
        placed_at=order.placed_at,
        shipping_method=order.shipping_method.name,
        shipping_method_code=order.shipping_method.code,
        promised_transit_days=order.shipping_method.transit_days,
        subtotal=order.subtotal,
        shipping_cost=order.shipping_cost,
        discount_total=order.discount_total,
        total=order.total,
        refunded_total=order.refunded_total,
        items=tuple((i.product.name, i.quantity, i.unit_price) for i in order.items.all()),
        refund_reasons=tuple(r.reason for r in order.refunds.all() if r.status != "rejected"),
        shipment=_shipment_view(shipments[0]) if shipments else None,
    )


def _shipment_view(shipment) -> ShipmentView:
    return ShipmentView(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        status=shipment.status,
        current_location=shipment.current_location,
        shipped_at=shipment.shipped_at,
        estimated_delivery=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at,
        scans=tuple(
            TrackingScan(
                at=e.occurred_at, location=e.location, status=e.status, description=e.description
            )
            for e in shipment.events.all()
        ),
    )


def policy_view(policy: StorePolicy) -> PolicyView:
    return PolicyView(
        refund_window_days=policy.refund_window_days,
        bot_refund_limit=policy.bot_refund_limit,
        stalled_after_hours=policy.stalled_after_hours,
        refund_shipping_when_late=policy.refund_shipping_when_late,
        dispatch_cutoff_hour=policy.dispatch_cutoff_hour,
    )


def expedite_choices() -> tuple[ExpediteChoice, ...]:
    return tuple(
        ExpediteChoice(o.code, o.name, o.kind, o.transit_days, o.cost, o.vip_free)
        for o in ExpediteOption.objects.filter(active=True)
    )


def passage_view(hit: Hit, policy: StorePolicy) -> ArticleView:
    passage = hit.passage
    return ArticleView(
        slug=passage.slug,
        title=passage.title,
        body=render_article(passage.text, policy),
        heading=passage.heading,
        url=article_url(passage.slug, passage.source),
        relevance=round(hit.relevance, 3),
    )


def render_article(body: str, policy: StorePolicy) -> str:
    return fill_policy(body, policy)
