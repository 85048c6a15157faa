"""Pipeline traces in the admin, read-only: what each stage did (model, tokens, latency, cost,
retries, repairs, verifier verdicts, fallbacks), the facts the rules computed and the plan.

JSON is shown pretty-printed and escaped (format_html): facts and plans carry text a model wrote.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from pipeline.display import duration_text
from pipeline.models import ModelCall, PipelineTrace


def _pretty(value: Any) -> str:
    if not value:
        return "-"
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre class="ops-json">{}</pre>', text)


def _admin_link(obj: Any, label: str) -> str:
    if obj is None:
        return "-"
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label)


def _verdict(detail: dict) -> str:
    """What the checks said in a stage: the reasoning verdict and its rejections, the empathy
    sentences held back, schema problems, a fallback to the rules' text."""
    parts = []
    if detail.get("verdict"):
        parts.append(f"verdict: {detail['verdict']}")
    for key, label in (("rejections", "rejected"), ("drift", "held back")):
        for problem in detail.get(key) or []:
            parts.append(f"{label}: {problem}")
    if detail.get("invalid"):
        parts.append(f"invalid output: {detail['invalid']}")
    if detail.get("fell_back_to_plan"):
        parts.append("fell back to the plan's own words")
    if detail.get("degraded"):
        parts.append("the offline engine answered this stage")
    return "; ".join(parts)


class ModelCallInline(admin.TabularInline):
    model = ModelCall
    extra = 0
    can_delete = False
    fields = [
        "stage",
        "model",
        "provider",
        "attempt",
        "outcome",
        "latency_ms",
        "ttft_ms",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "cost_usd",
        "error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PipelineTrace)
class PipelineTraceAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "conversation",
        "lane",
        "intent",
        "outcome",
        "latency",
        "cost_usd",
        "retries",
        "repairs",
        "verifier_rejections",
        "answered_by",
    ]
    list_filter = ["lane", "outcome", "intent", "degraded", "cached", "created_at"]
    search_fields = ["=conversation__id", "message__text", "handoff_reason", "customer__email"]
    date_hierarchy = "created_at"
    list_select_related = ["conversation__customer"]
    show_full_result_count = False  # a COUNT over 100k+ traces per page view buys nothing
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "created_at",
                    "conversation_link",
                    "customer_link",
                    "customer_message",
                    "bot_reply",
                    ("lane", "intent", "secondary_intents", "confidence"),
                    ("outcome", "handoff_reason"),
                    "answered_by",
                    "error",
                ]
            },
        ),
        (
            "Cost and time",
            {
                "fields": [
                    ("latency", "model_time"),
                    ("prompt_tokens", "completion_tokens", "reasoning_tokens"),
                    "cost_usd",
                    ("retries", "repairs", "verifier_rejections"),
                ]
            },
        ),
        ("Stages", {"fields": ["stage_table", "fallbacks"]}),
        ("Facts and plan", {"fields": ["facts_pretty", "plan_pretty", "stages_pretty"]}),
    ]
    readonly_fields = [
        "created_at",
        "conversation_link",
        "customer_link",
        "customer_message",
        "bot_reply",
        "lane",
        "intent",
        "secondary_intents",
        "confidence",
        "outcome",
        "handoff_reason",
        "answered_by",
        "error",
        "latency",
        "model_time",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "cost_usd",
        "retries",
        "repairs",
        "verifier_rejections",
        "stage_table",
        "fallbacks",
        "facts_pretty",
        "plan_pretty",
        "stages_pretty",
    ]
    inlines = [ModelCallInline]

    class Media:
        css = {"all": ["ops/ops.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[PipelineTrace]:
        # The change list skips list_select_related when select_related is already set.
        return (
            super()
            .get_queryset(request)
            .select_related("conversation__customer", "customer", "message", "reply")
        )

    @admin.display(description="latency", ordering="latency_ms")
    def latency(self, trace: PipelineTrace) -> str:
        return duration_text(trace.latency_ms)

    @admin.display(description="time in model calls", ordering="model_ms")
    def model_time(self, trace: PipelineTrace) -> str:
        return duration_text(trace.model_ms)

    @admin.display(description="answered by")
    def answered_by(self, trace: PipelineTrace) -> str:
        """One plain label instead of two yes/no icons that read as contradicting the stages."""
        if trace.degraded:
            return "offline engine (the model providers failed)"
        if trace.cached:
            return "answer cache (no model call)"
        return "the models"

    @admin.display(description="conversation")
    def conversation_link(self, trace: PipelineTrace) -> str:
        return _admin_link(trace.conversation, str(trace.conversation_id))

    @admin.display(description="customer")
    def customer_link(self, trace: PipelineTrace) -> str:
        customer = trace.customer
        return _admin_link(customer, f"{customer.name} <{customer.email}>" if customer else "")

    @admin.display(description="customer message")
    def customer_message(self, trace: PipelineTrace) -> str:
        return trace.message.text

    @admin.display(description="bot reply")
    def bot_reply(self, trace: PipelineTrace) -> str:
        return trace.reply.text if trace.reply_id else "-"

    @admin.display(description="stages")
    def stage_table(self, trace: PipelineTrace) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (_stage_cells(stage) for stage in trace.stages or [] if isinstance(stage, dict)),
        )
        return format_html(
            '<table class="ops-stages"><thead><tr><th>stage</th><th>model</th><th>time</th>'
            "<th>in</th><th>out</th><th>reasoning</th><th>cost $</th><th>retries</th>"
            "<th>repairs</th><th>checks</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="fallbacks")
    def fallbacks(self, trace: PipelineTrace) -> str:
        """Calls that did not answer (errors, open breakers, spent budgets) and any stage the
        offline engine answered instead."""
        failed = [c for c in trace.calls.all() if c.outcome != "ok"]
        lines = [f"{c.stage}: {c.model} attempt {c.attempt} {c.outcome} {c.error}" for c in failed]
        if trace.degraded:
            lines.append("providers failed: the offline engine answered")
        if not lines:
            return "none"
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines))

    @admin.display(description="facts (from the rules)")
    def facts_pretty(self, trace: PipelineTrace) -> str:
        return _pretty(trace.facts)

    @admin.display(description="plan")
    def plan_pretty(self, trace: PipelineTrace) -> str:
        return _pretty(trace.plan)

    @admin.display(description="raw stages")
    def stages_pretty(self, trace: PipelineTrace) -> str:
        return _pretty(trace.stages)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _stage_cells(stage: dict) -> tuple:
    return (
        stage.get("stage", ""),
        stage.get("model", ""),
        duration_text(float(stage.get("latency_ms") or 0)),
        stage.get("prompt_tokens", 0),
        stage.get("completion_tokens", 0),
        stage.get("reasoning_tokens", 0),
        f"{float(stage.get('cost_usd') or 0):.6f}",
        stage.get("retries", 0),
        stage.get("repairs", 0),
        _verdict(stage.get("detail") or {}),
    )


@admin.register(ModelCall)
class ModelCallAdmin(admin.ModelAdmin):
    list_display = [
        "trace",
        "stage",
        "model",
        "attempt",
        "outcome",
        "latency_ms",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    ]
    list_filter = ["stage", "model", "outcome", "provider"]
    search_fields = ["model", "error"]
    list_select_related = ["trace"]
    raw_id_fields = ["trace"]
    readonly_fields = [f.name for f in ModelCall._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
