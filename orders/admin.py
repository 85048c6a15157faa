from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from orders.models import (
    Customer,
    ExpediteOption,
    KnowledgeArticle,
    LoyaltyTier,
    Order,
    OrderItem,
    Product,
    Refund,
    Shipment,
    ShippingMethod,
    StorePolicy,
    TrackingEvent,
)


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

    list_display = ["name", "email", "tier", "locale", "order_count", "created_at"]
    list_filter = ["tier", "locale"]
    search_fields = ["name", "email"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return (
            super().get_queryset(request).select_related("tier").annotate(n_orders=Count("orders"))
        )

    @admin.display(description="Orders", ordering="n_orders")
    def order_count(self, obj: Customer) -> int:
        return obj.n_orders


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "price", "stock"]
    list_filter = ["stock"]
    search_fields = ["name", "sku", "description"]
    readonly_fields: list[str] = []


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ["product"]
    readonly_fields = ["line_total"]


class ShipmentInline(admin.StackedInline):
    model = Shipment
    extra = 0
    show_change_link = True
    readonly_fields = ["timeline"]

    @admin.display(description="Tracking timeline")
    def timeline(self, obj: Shipment) -> str:
        return "\n".join(str(event) for event in obj.events.all()) or "No scans yet"


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
    list_filter = ["status", "shipping_method", "customer__tier", "placed_at"]
    search_fields = ["number", "customer__name", "customer__email", "shipments__tracking_number"]
    date_hierarchy = "placed_at"
    readonly_fields = ["refunded_total"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer", "shipping_method"]
    inlines = [OrderItemInline, ShipmentInline, RefundInline]


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


@admin.register(StorePolicy)
class StorePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "refund_window_days",
        "bot_refund_limit",
        "stalled_after_hours",
        "updated_at",
    ]
    list_filter: list[str] = []
    search_fields: list[str] = []
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not StorePolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: StorePolicy | None = None) -> bool:
        return False


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "is_published", "updated_at"]
    list_filter = ["category", "is_published"]
    search_fields = ["title", "body", "keywords"]
    readonly_fields = ["updated_at"]
    prepopulated_fields = {"slug": ["title"]}
