"""Ops in the admin: golden cases, plus the actions other admins mount: export and erase on
customers (CustomerPrivacyAdminMixin), and "promote to golden case" on conversations."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from ops.models import GoldenCase
from ops.privacy import (
    EXPORT_FORMAT,
    customer_erase,
    customer_erase_preview,
    customer_export,
)
from orders import admin as orders_admin
from orders.models import Customer

ERASE_CONFIRM_TEMPLATE = "ops/customer_erase_confirmation.html"


@admin.register(GoldenCase)
class GoldenCaseAdmin(admin.ModelAdmin):
    list_display = ["name", "expected_intent", "expected_lane", "now", "created_by", "created_at"]
    list_filter = ["created_at", "now"]
    search_fields = ["name", "customer_text", "customer_email"]
    fields = [
        "name",
        "customer_text",
        "customer_email",
        "now",
        "conversation",
        "message",
        "expected_pretty",
        "snapshot_pretty",
        "created_by",
        "created_at",
    ]
    readonly_fields = [f for f in fields if f != "name"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only by promoting a transcript, which captures the snapshot

    @admin.display(description="Intent")
    def expected_intent(self, obj: GoldenCase) -> str:
        return obj.expected.get("intent", {}).get("primary", "")

    @admin.display(description="Lane")
    def expected_lane(self, obj: GoldenCase) -> str:
        return obj.expected.get("reasoning", {}).get("lane", "")

    @admin.display(description="Expected per stage")
    def expected_pretty(self, obj: GoldenCase) -> str:
        return _pretty(obj.expected)

    @admin.display(description="Snapshot")
    def snapshot_pretty(self, obj: GoldenCase) -> str:
        return _pretty(obj.snapshot)


def _pretty(value: Any) -> str:
    text = json.dumps(value, indent=2, cls=DjangoJSONEncoder)
    return format_html('<pre style="max-height:32em;overflow:auto">{}</pre>', text)


# -- customers: export and erase --


@admin.action(permissions=["export_customer"], description="Export personal data as JSON")
def export_customer_data(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Customer]
) -> HttpResponse:
    customers = list(queryset.order_by("pk"))
    exports = [customer_export(customer_id=c.pk) for c in customers]
    if len(exports) == 1:
        payload: dict[str, Any] = exports[0]
        filename = f"customer-{customers[0].pk}.json"
    else:
        payload = {"format": EXPORT_FORMAT, "customers": exports}
        filename = f"customers-{timezone.now():%Y%m%d-%H%M%S}.json"
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=customers,
        action_flag=CHANGE,
        change_message="Exported personal data as JSON.",
    )
    response = HttpResponse(
        json.dumps(payload, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.action(permissions=["erase_customer"], description="Erase personal data (anonymise)")
def erase_customer_data(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Customer]
) -> TemplateResponse | None:
    """Two steps, like delete_selected: a confirmation page listing what will change, then the
    erasure itself when that page is posted back with confirm=yes."""
    customers = list(queryset.select_related("tier").order_by("pk"))
    if request.POST.get("confirm") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Erase personal data?",
            "opts": modeladmin.model._meta,
            "previews": [customer_erase_preview(customer=c) for c in customers],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "erase_customer_data",
        }
        return TemplateResponse(request, ERASE_CONFIRM_TEMPLATE, context)
    results = [customer_erase(customer_id=c.pk, actor_id=request.user.pk) for c in customers]
    erased = [r for r in results if not r.already_erased]
    modeladmin.message_user(
        request,
        f"Erased {len(erased)} customer(s); {len(results) - len(erased)} already erased. "
        "Orders' totals, traces' costs and counts are kept.",
        messages.SUCCESS,
    )
    return None


class CustomerPrivacyAdminMixin:
    """Mounts export and erase on CustomerAdmin, each behind its own ops permission."""

    actions = [export_customer_data, erase_customer_data]

    def has_export_customer_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ops.export_customer")

    def has_erase_customer_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ops.erase_customer")


# The store's customer admin (orders) gains the privacy actions here: orders sits below ops.
admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerAdmin(CustomerPrivacyAdminMixin, orders_admin.CustomerAdmin):
    pass


# Registers the transcript admins (conversations and their messages).
import ops.transcripts_admin  # noqa: E402, F401
