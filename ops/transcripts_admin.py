"""Transcripts in the admin, for ops review: each conversation with its messages inline, every bot
reply linked to the pipeline trace that produced it; filters by intent, lane, outcome, date and
CSAT; a conversation can be promoted to a golden case. It lives in ops, not conversations,
because it reads the pipeline's traces (a higher layer than the record).

List pages read one query per page (list_select_related, EXISTS subqueries for the trace
filters) and the inline reads each reply's trace in the same query as the messages.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from conversations.models import Conversation, Message
from ops.golden_admin import promote_to_golden_case
from pipeline.display import duration_text
from pipeline.models import PipelineTrace


def trace_link(trace: PipelineTrace | None) -> str:
    if trace is None:
        return "-"
    url = reverse("admin:pipeline_pipelinetrace_change", args=[trace.pk])
    return format_html(
        '<a href="{}" class="trace-link">trace {}</a> · {} · {} · {}',
        url,
        trace.pk,
        trace.lane,
        trace.get_outcome_display(),
        duration_text(trace.latency_ms),
    )


class _TraceFilter(admin.SimpleListFilter):
    """Conversations with at least one trace whose `field` has the chosen value (EXISTS, so a
    conversation with many matching traces is listed once and no JOIN multiplies rows)."""

    field = ""
    options: tuple[tuple[str, str], ...] = ()

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> tuple:
        return self.options

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        traces = PipelineTrace.objects.filter(conversation=OuterRef("pk"), **{self.field: value})
        return queryset.filter(Exists(traces))


class LaneFilter(_TraceFilter):
    title = "lane"
    parameter_name = "lane"
    field = "lane"
    options = (("fast", "fast"), ("full", "full"), ("human", "human"))


class OutcomeFilter(_TraceFilter):
    title = "outcome"
    parameter_name = "outcome"
    field = "outcome"
    options = tuple(PipelineTrace.Outcome.choices)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["seq", "sender", "text", "author", "created_at", "pipeline_trace"]
    readonly_fields = fields
    ordering = ["seq"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).select_related("reply_trace", "author")

    @admin.display(description="pipeline trace")
    def pipeline_trace(self, message: Message) -> str:
        if message.sender != Message.Sender.BOT:
            return ""
        return trace_link(getattr(message, "reply_trace", None))

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "customer",
        "status",
        "intent",
        "last_seq",
        "csat_score",
        "assigned_agent",
        "updated_at",
    ]
    list_filter = [
        "status",
        "intent",
        LaneFilter,
        OutcomeFilter,
        "csat_score",
        "created_at",
        "verified_in_chat",
    ]
    search_fields = [
        "=id",
        "customer__name",
        "customer__email",
        "handoff_reason",
        "messages__text",
    ]
    readonly_fields = [
        "id",
        "token_hash",
        "last_seq",
        "handoff_reason",
        "queued_at",
        "sla_due_at",
        "anonymised_at",
        "created_at",
        "updated_at",
        "resolved_at",
    ]
    raw_id_fields = ["customer", "assigned_agent"]
    list_select_related = ["customer", "assigned_agent"]
    date_hierarchy = "created_at"
    inlines = [MessageInline]
    actions = [promote_to_golden_case]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["conversation", "seq", "sender", "text", "pipeline_trace", "created_at"]
    list_filter = ["sender", "created_at"]
    search_fields = ["text", "=conversation__id"]
    readonly_fields = [
        "id",
        "conversation",
        "seq",
        "client_id",
        "reply_to",
        "pipeline_trace",
        "created_at",
    ]
    list_select_related = ["conversation__customer", "reply_trace"]

    @admin.display(description="pipeline trace")
    def pipeline_trace(self, message: Message) -> str:
        return trace_link(getattr(message, "reply_trace", None))
