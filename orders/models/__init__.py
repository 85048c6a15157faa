"""The store's records. Money is Decimal with two places everywhere; database constraints keep the
numbers honest even when a bug or a model slips past the service layer."""

from orders.models.core import (
    HALF_CENT,
    ZERO,
    Customer,
    ExpediteOption,
    KnowledgeArticle,
    LoyaltyTier,
    Order,
    OrderItem,
    Product,
    ProductVariant,
    Refund,
    Shipment,
    ShippingMethod,
    TrackingEvent,
    money,
)
from orders.models.payments import Payment, PaymentMethod
from orders.models.policy import IdentityProof, RefundDestination, StorePolicy
from orders.models.records import ActionName, ActionRecord
from orders.models.stores import DEMO_STORE, TAU2_STORE, Address, Store

__all__ = [
    "DEMO_STORE",
    "HALF_CENT",
    "TAU2_STORE",
    "ZERO",
    "ActionName",
    "ActionRecord",
    "Address",
    "Customer",
    "ExpediteOption",
    "IdentityProof",
    "KnowledgeArticle",
    "LoyaltyTier",
    "Order",
    "OrderItem",
    "Payment",
    "PaymentMethod",
    "Product",
    "ProductVariant",
    "Refund",
    "RefundDestination",
    "Shipment",
    "ShippingMethod",
    "Store",
    "StorePolicy",
    "TrackingEvent",
    "money",
]
