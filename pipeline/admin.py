from __future__ import annotations

from django.contrib import admin

from pipeline.models import ModelCall, PipelineTrace


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

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PipelineTrace)
class PipelineTraceAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "conversation",
        "lane",
        "intent",
        "outcome",
        "latency_ms",
        "cost_usd",
        "retries",
        "repairs",
        "verifier_rejections",
        "degraded",
    ]
    list_filter = ["lane", "outcome", "intent", "degraded", "cached", "created_at"]
    search_fields = ["conversation__id", "message__text", "handoff_reason", "customer__email"]
    date_hierarchy = "created_at"
    list_select_related = ["conversation"]
    readonly_fields = [f.name for f in PipelineTrace._meta.fields]
    inlines = [ModelCallInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
