from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from orders.models import (
    ActionName,
    ActionRecord,
    Customer,
    ExpediteOption,
    KnowledgeArticle,
    LoyaltyTier,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Product,
    ProductVariant,
    Refund,
    Shipment,
    ShippingMethod,
    Store,
    StorePolicy,
    TrackingEvent,
)
from orders.models.policy import IdentityProof, RefundDestination


class PaymentMethodInline(admin.TabularInline):
    model = PaymentMethod
    extra = 0
    fields = ["external_id", "kind", "brand", "last_four", "balance"]
    readonly_fields = ["external_id"]


@admin.register(LoyaltyTier)
class LoyaltyTierAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "discount_rate",
        "max_discount",
        "min_subtotal",
        "retroactive_days",
    ]
    list_filter = ["rank"]
    search_fields = ["name", "code"]
    readonly_fields: list[str] = []


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """ops.admin registers this again with the privacy actions (export, erase)."""

    list_display = ["name", "email", "store", "tier", "zip", "order_count", "created_at"]
    list_filter = ["store", "tier", "locale"]
    search_fields = ["name", "email", "external_id", "zip"]
    readonly_fields = ["created_at", "external_id"]
    raw_id_fields = ["user"]
    inlines = [PaymentMethodInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return (
            super().get_queryset(request).select_related("tier").annotate(n_orders=Count("orders"))
        )

    @admin.display(description="Orders", ordering="n_orders")
    def order_count(self, obj: Customer) -> int:
        return obj.n_orders


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0
    fields = ["external_id", "options", "price", "available"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "store", "price", "stock"]
    list_filter = ["store", "stock"]
    search_fields = ["name", "sku", "description", "external_id", "variants__external_id"]
    readonly_fields = ["external_id"]
    inlines = [ProductVariantInline]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ["product", "variant", "exchange_variant", "shipment"]
    readonly_fields = ["line_total"]


class ShipmentInline(admin.StackedInline):
    model = Shipment
    extra = 0
    show_change_link = True
    readonly_fields = ["timeline"]

    @admin.display(description="Tracking timeline")
    def timeline(self, obj: Shipment) -> str:
        return "\n".join(str(event) for event in obj.events.all()) or "No scans yet"


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    readonly_fields = ["kind", "method", "amount", "created_at"]
    can_delete = False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    readonly_fields = ["amount", "status", "reason", "created_at", "decided_by"]
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "customer",
        "status",
        "placed_at",
        "shipping_method",
        "total",
        "refunded_total",
    ]
    list_filter = ["store", "status", "shipping_method", "customer__tier", "placed_at"]
    search_fields = [
        "number",
        "external_id",
        "customer__name",
        "customer__email",
        "shipments__tracking_number",
    ]
    date_hierarchy = "placed_at"
    readonly_fields = ["refunded_total"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer", "shipping_method"]
    inlines = [OrderItemInline, ShipmentInline, PaymentInline, RefundInline]


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "tracking_number",
        "order",
        "carrier",
        "status",
        "current_location",
        "estimated_delivery",
    ]
    list_filter = ["status", "carrier"]
    search_fields = ["tracking_number", "order__number"]
    readonly_fields: list[str] = []
    raw_id_fields = ["order"]
    list_select_related = ["order"]
    inlines = [TrackingEventInline]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["order", "amount", "status", "reason", "decided_by", "created_at"]
    list_filter = ["status", "decided_by", "created_at"]
    search_fields = ["order__number", "order__customer__email", "reason"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["order"]
    list_select_related = ["order"]


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "transit_days", "price"]
    list_filter = ["transit_days"]
    search_fields = ["name", "code"]
    readonly_fields: list[str] = []


@admin.register(ExpediteOption)
class ExpediteOptionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "transit_days", "cost", "vip_free", "active"]
    list_filter = ["kind", "active", "vip_free"]
    search_fields = ["name", "code"]
    readonly_fields: list[str] = []


class StorePolicyForm(forms.ModelForm):
    """The policy's lists as tick boxes, so ops choose among what the engine knows."""

    identity_proofs = forms.MultipleChoiceField(
        choices=IdentityProof.choices, widget=forms.CheckboxSelectMultiple
    )
    refund_destinations = forms.MultipleChoiceField(
        choices=RefundDestination.choices, widget=forms.CheckboxSelectMultiple
    )
    bot_actions = forms.MultipleChoiceField(
        choices=ActionName.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    modifiable_statuses = forms.MultipleChoiceField(
        choices=Order.Status.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = StorePolicy
        fields = [
            "store",
            "modifiable_statuses",
            "cancel_reasons",
            "return_window_days",
            "refund_window_days",
            "identity_proofs",
            "refund_destinations",
            "bot_actions",
            "bot_refund_limit",
            "stalled_after_hours",
            "refund_shipping_when_late",
            "dispatch_cutoff_hour",
        ]


@admin.register(StorePolicy)
class StorePolicyAdmin(admin.ModelAdmin):
    form = StorePolicyForm
    list_display = [
        "__str__",
        "store",
        "return_window_days",
        "bot_refund_limit",
        "stalled_after_hours",
        "updated_at",
    ]
    list_filter = ["store"]
    search_fields = ["store__code", "store__name"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return Store.objects.filter(policy__isnull=True).exists()

    def has_delete_permission(self, request: HttpRequest, obj: StorePolicy | None = None) -> bool:
        return False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "reference_time"]
    list_filter: list[str] = []
    search_fields = ["name", "code"]
    readonly_fields: list[str] = []


@admin.register(ActionRecord)
class ActionRecordAdmin(admin.ModelAdmin):
    """The action log, read only: what was done or refused, by whom, for which conversation."""

    list_display = [
        "created_at",
        "name",
        "status",
        "actor_kind",
        "actor_name",
        "policy_override",
        "order",
        "store",
    ]
    list_filter = ["status", "name", "actor_kind", "policy_override", "store", "created_at"]
    search_fields = [
        "proposal_id",
        "conversation_id",
        "order__number",
        "customer__email",
        "actor_name",
        "refusal",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["order", "store"]
    readonly_fields = [f.name for f in ActionRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ActionRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ActionRecord | None = None) -> bool:
        return False


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "is_published", "updated_at"]
    list_filter = ["category", "is_published"]
    search_fields = ["title", "body", "keywords"]
    readonly_fields = ["updated_at"]
    prepopulated_fields = {"slug": ["title"]}
