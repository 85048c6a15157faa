"""The handoff queue in the admin: waiting conversations, oldest first, updating live, with the
buttons agents need; plus the agents' profiles, canned responses and the handoff log."""

from __future__ import annotations

from contextvars import ContextVar
from functools import partial
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from conversations.models import Conversation
from desk import selectors, views
from desk.actions import CONSOLE_ACTIONS
from desk.models import AgentProfile, CannedResponse, HandoffEvent, HandoffQueue
from desk.permissions import can_work_queue, display_name

Status = Conversation.Status
SLA_SOON_MINUTES = 10
# What the row buttons need once per page (the viewer, the agents to reassign to). A ModelAdmin is
# shared by every request, so per-request state lives in a context variable, not on self.
_queue_page: ContextVar[dict[str, Any]] = ContextVar("desk_queue_page")


class HandoffStatusFilter(admin.SimpleListFilter):
    """Waiting by default: the queue is what nobody has taken yet."""

    title = "state"
    parameter_name = "state"
    default = "waiting"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("waiting", "Waiting"),
            ("mine", "Mine"),
            ("assigned", "With an agent"),
            ("resolved", "Resolved"),
            ("all", "All"),
        ]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value() or self.default
        if value == "waiting":
            return queryset.filter(status=Status.QUEUED)
        if value == "mine":
            return queryset.filter(status=Status.ASSIGNED, assigned_agent=request.user)
        if value == "assigned":
            return queryset.filter(status=Status.ASSIGNED)
        if value == "resolved":
            return queryset.filter(status=Status.RESOLVED)
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "Overdue"), ("soon", f"Due within {SLA_SOON_MINUTES} min")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        open_ = Q(status__in=[Status.QUEUED, Status.ASSIGNED])
        if self.value() == "overdue":
            return queryset.filter(open_, sla_due_at__lt=now)
        if self.value() == "soon":
            soon = now + timezone.timedelta(minutes=SLA_SOON_MINUTES)
            return queryset.filter(open_, sla_due_at__gte=now, sla_due_at__lt=soon)
        return queryset


@admin.register(HandoffQueue)
class HandoffQueueAdmin(admin.ModelAdmin):
    change_list_template = "desk/queue_change_list.html"
    list_display = [
        "customer_link",
        "reason",
        "intent",
        "language",
        "priority_badge",
        "waiting",
        "sla",
        "tier",
        "last_message_text",
        "owner",
        "buttons",
    ]
    list_display_links = None
    list_filter = [
        HandoffStatusFilter,
        SlaFilter,
        "priority",
        "intent",
        "language",
        "customer__tier",
    ]
    search_fields = ["customer__name", "customer__email", "handoff_reason", "intent"]
    readonly_fields = ["status", "handoff_reason", "intent", "language", "priority", "queued_at"]
    ordering = ["queued_at"]
    actions = None
    list_per_page = 50
    show_full_result_count = False

    # Permissions: reading the queue and acting on it both need desk.work_queue.

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_work_queue(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_work_queue(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.queue_queryset()

    def change_view(
        self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return HttpResponseRedirect(views.console_url(object_id))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "agent_available": selectors.agent_available(user=request.user),
            "mine_count": selectors.owned_by(user=request.user),
            "title": "Handoff queue",
            "ws_path": "/ws/desk/queue/",
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Any, **kwargs: Any) -> Any:
            return self.admin_site.admin_view(partial(view, site=self.admin_site, **kwargs))

        console = "<uuid:conversation_id>/console/"
        return [
            path(console, wrap(views.console), name="desk_handoffqueue_console"),
            path(f"{console}panel/", wrap(views.console_panel), name="desk_handoffqueue_panel"),
            path(
                f"{console}transcript/",
                wrap(views.console_transcript),
                name="desk_handoffqueue_transcript",
            ),
            path(f"{console}notes/", wrap(views.console_notes), name="desk_handoffqueue_notes"),
            path(f"{console}reply/", wrap(views.console_reply), name="desk_handoffqueue_reply"),
            *[
                path(
                    f"{console}act/{slug}/",
                    wrap(views.console_action, action=slug),
                    name=f"desk_handoffqueue_act_{slug}",
                )
                for slug in CONSOLE_ACTIONS
            ],
            *[
                path(
                    f"<uuid:conversation_id>/{action}/",
                    wrap(views.handoff_action, action=action),
                    name=f"desk_handoffqueue_{action}",
                )
                for action in ("claim", "release", "reassign", "resolve")
            ],
            path("availability/", wrap(views.availability), name="desk_handoffqueue_availability"),
            *super().get_urls(),
        ]

    # Columns.

    @admin.display(description="customer", ordering="customer__name")
    def customer_link(self, obj: Conversation) -> str:
        label = obj.customer.name if obj.customer_id else "Visitor"
        return format_html('<a href="{}">{}</a>', views.console_url(obj.pk), label)

    @admin.display(description="reason", ordering="handoff_reason")
    def reason(self, obj: Conversation) -> str:
        return obj.handoff_reason

    @admin.display(description="priority", ordering="priority")
    def priority_badge(self, obj: Conversation) -> str:
        return format_html(
            '<span class="desk-priority desk-priority--{}">{}</span>',
            obj.priority,
            obj.get_priority_display(),
        )

    @admin.display(description="waiting", ordering="queued_at")
    def waiting(self, obj: Conversation) -> str:
        if obj.queued_at is None:
            return "-"
        if obj.status != Status.QUEUED:
            return f"waited from {obj.queued_at:%H:%M}"
        return timesince(obj.queued_at, timezone.now())

    @admin.display(description="SLA due", ordering="sla_due_at")
    def sla(self, obj: Conversation) -> str:
        if obj.sla_due_at is None:
            return "-"
        now = timezone.now()
        overdue = obj.status in {Status.QUEUED, Status.ASSIGNED} and obj.sla_due_at < now
        if overdue:
            return format_html(
                '<span class="desk-overdue" title="{}">overdue by {}</span>',
                obj.sla_due_at.isoformat(),
                timesince(obj.sla_due_at, now),
            )
        return format_html(
            '<span title="{}">{}</span>',
            obj.sla_due_at.isoformat(),
            f"in {timesince(now, obj.sla_due_at)}" if obj.sla_due_at > now else "-",
        )

    @admin.display(description="tier", ordering="customer__tier__rank")
    def tier(self, obj: Conversation) -> str:
        return obj.customer.tier.name if obj.customer_id else "-"

    @admin.display(description="last message")
    def last_message_text(self, obj: Any) -> str:
        if not obj.last_message:
            return "-"
        return format_html(
            '<span class="desk-last desk-last--{}">{}</span>', obj.last_sender, obj.last_message
        )

    @admin.display(description="agent", ordering="assigned_agent__first_name")
    def owner(self, obj: Conversation) -> str:
        return display_name(obj.assigned_agent) if obj.assigned_agent_id else "-"

    @admin.display(description="")
    def buttons(self, obj: Conversation) -> str:
        return render_to_string(
            "desk/queue_change_list.html#row_buttons",
            {"conversation": obj, **_queue_page.get({"viewer_id": None, "agents": []})},
        )

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        _queue_page.set({"viewer_id": request.user.pk, "agents": selectors.agent_choices()})
        return super().get_changelist_instance(request)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "available", "capacity", "last_assigned_at"]
    list_filter = ["available"]
    list_editable = ["available", "capacity"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    readonly_fields = ["last_assigned_at"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "text"]
    search_fields = ["title", "text"]
    readonly_fields: list[str] = []


@admin.register(HandoffEvent)
class HandoffEventAdmin(admin.ModelAdmin):
    list_display = ["conversation", "kind", "actor", "agent", "at"]
    list_filter = ["kind", "at"]
    search_fields = ["conversation__id", "actor__username", "agent__username"]
    readonly_fields = ["conversation", "kind", "actor", "agent", "at"]
    list_select_related = ["conversation__customer", "actor", "agent"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
