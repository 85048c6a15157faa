"""The store: customers, catalogue with variants, orders, shipments and refunds.

Money is Decimal with two places everywhere. Database constraints keep the numbers honest even
when a bug or a model slips past the service layer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from orders.models.stores import AddressFields, Store, default_store_id

ZERO = Decimal("0.00")
HALF_CENT = Decimal("0.005")


def money(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=10, decimal_places=2, **kwargs)


class LoyaltyTier(models.Model):
    """A loyalty tier and its discount rule, editable by ops in the admin."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=60)
    discount_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
        help_text="Fraction off the merchandise subtotal, e.g. 0.150 for 15%.",
    )
    max_discount = money(default=Decimal("100.00"), help_text="Cap on one order's discount.")
    min_subtotal = money(default=ZERO, help_text="Orders below this subtotal get no discount.")
    retroactive_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="Support may apply the discount to an order placed up to this many days ago.",
    )
    rank = models.PositiveSmallIntegerField(default=0, help_text="Higher is more senior.")

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_rate__gte=0) & Q(discount_rate__lte=Decimal("0.5")),
                name="tier_discount_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def store_field() -> models.ForeignKey:
    return models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", default=default_store_id
    )


def external_id_field() -> models.CharField:
    return models.CharField(
        max_length=40, blank=True, db_index=True, help_text="The id in the source store, e.g. τ²'s."
    )


def unique_external_id(model: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["store", "external_id"],
        condition=~Q(external_id=""),
        name=f"{model}_external_id_once",
    )


class Customer(AddressFields):
    """A customer; the address fields are their default address."""

    store = store_field()
    external_id = external_id_field()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField(unique=True)
    locale = models.CharField(max_length=10, default="en-US")
    tier = models.ForeignKey(LoyaltyTier, on_delete=models.PROTECT, related_name="customers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [unique_external_id("customer")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""


class Product(models.Model):
    """A type of product; what a customer buys is one of its variants (options, price, stock)."""

    store = store_field()
    external_id = external_id_field()
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    price = money(validators=[MinValueValidator(ZERO)])
    stock = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0"),
            unique_external_id("product"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class ProductVariant(models.Model):
    """An item one can order: a product with option values (colour, size...), its own price and
    availability. τ² calls it an item; its external id is τ²'s item id."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    external_id = external_id_field()
    options = models.JSONField(default=dict, blank=True, help_text='e.g. {"color": "blue"}')
    price = money(validators=[MinValueValidator(ZERO)])
    available = models.BooleanField(default=True)

    class Meta:
        ordering = ["product", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_gte_0"),
            models.UniqueConstraint(
                fields=["product", "external_id"],
                condition=~Q(external_id=""),
                name="variant_external_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.options_text or 'standard'})"

    @property
    def options_text(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in self.options.items())


class ShippingMethod(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=60)
    transit_days = models.PositiveSmallIntegerField(help_text="Promised business days in transit.")
    price = money(validators=[MinValueValidator(ZERO)])

    class Meta:
        ordering = ["transit_days"]

    def __str__(self) -> str:
        return f"{self.name} ({self.transit_days} business days)"


class Order(AddressFields):
    """An order; the address fields are where it ships (`shipping_address` is the same as text)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        RETURNED = "returned", "Returned"
        ITEMS_MODIFIED = "pending_items_modified", "Pending (items modified)"
        RETURN_REQUESTED = "return_requested", "Return requested"
        EXCHANGE_REQUESTED = "exchange_requested", "Exchange requested"

    OPEN_STATUSES = (Status.PENDING, Status.PAID, Status.PROCESSING)

    store = store_field()
    external_id = external_id_field()
    number = models.CharField(max_length=20, unique=True, help_text="Human-readable, e.g. ORD-4521")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PAID)
    cancel_reason = models.CharField(max_length=60, blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    shipping_method = models.ForeignKey(ShippingMethod, on_delete=models.PROTECT)
    shipping_address = models.TextField()
    subtotal = money(default=ZERO)
    shipping_cost = money(default=ZERO)
    discount_total = money(default=ZERO)
    discount_reason = models.CharField(max_length=120, blank=True)
    total = money(default=ZERO)
    refunded_total = money(default=ZERO)
    notes = models.TextField(blank=True, help_text="Written by the customer at checkout.")

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer", "-placed_at"], name="order_customer_placed")]
        constraints = [
            unique_external_id("order"),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="order_subtotal_gte_0"),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0)
                & Q(discount_total__lte=F("subtotal") + F("shipping_cost")),
                name="order_discount_within_order",
            ),
            # Within half a cent: SQLite does decimal arithmetic in floating point.
            models.CheckConstraint(
                condition=Q(
                    total__gte=F("subtotal") + F("shipping_cost") - F("discount_total") - HALF_CENT
                )
                & Q(
                    total__lte=F("subtotal") + F("shipping_cost") - F("discount_total") + HALF_CENT
                ),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=F("total")),
                name="order_refunds_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def placed_date(self) -> dt.date:
        return timezone.localdate(self.placed_at)


class OrderItem(models.Model):
    """A line of an order. τ²'s orders hold one line per item, the same item possibly twice."""

    class Request(models.TextChoices):
        NONE = "", "None"
        RETURN = "return", "Return requested"
        EXCHANGE = "exchange", "Exchange requested"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    unit_price = money()
    shipment = models.ForeignKey(
        "Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    request = models.CharField(max_length=10, choices=Request.choices, blank=True)
    exchange_variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_item_quantity_gte_1"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_item_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product.name}"

    @property
    def line_total(self) -> Decimal:
        return (self.unit_price or ZERO) * (self.quantity or 0)


class Shipment(models.Model):
    class Status(models.TextChoices):
        LABEL_CREATED = "label_created", "Label created"
        IN_TRANSIT = "in_transit", "In transit"
        DELAYED = "delayed", "Delayed"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        RETURNED = "returned", "Returned to sender"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=40)
    tracking_number = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LABEL_CREATED)
    current_location = models.CharField(max_length=80, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    estimated_delivery = models.DateField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shipped_at"]
        indexes = [models.Index(fields=["status"], name="shipment_status")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=Shipment.Status.choices)
    description = models.CharField(max_length=200)

    class Meta:
        ordering = ["occurred_at"]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="tracking_shipment_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.location}: {self.description}"


class Refund(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        PAID = "paid", "Paid"

    COUNTED_STATUSES = (Status.REQUESTED, Status.APPROVED, Status.PAID)

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = money()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.CharField(max_length=60, blank=True, help_text="bot, or the agent's name")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.amount} ({self.status})"


class ExpediteOption(models.Model):
    class Kind(models.TextChoices):
        UPGRADE = "upgrade", "Upgrade the parcel already moving"
        REPLACEMENT = "replacement", "Ship a replacement now"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    transit_days = models.PositiveSmallIntegerField(help_text="Business days from dispatch.")
    cost = money(validators=[MinValueValidator(ZERO)])
    vip_free = models.BooleanField(default=False, help_text="Free for the most senior tier.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["transit_days", "cost"]

    def __str__(self) -> str:
        return f"{self.name} ({self.transit_days}d, ${self.cost})"


class KnowledgeArticle(models.Model):
    class Category(models.TextChoices):
        POLICY = "policy", "Policy"
        FAQ = "faq", "FAQ"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=160)
    body = models.TextField()
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.FAQ)
    keywords = models.CharField(max_length=200, blank=True, help_text="Extra search terms.")
    is_published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
