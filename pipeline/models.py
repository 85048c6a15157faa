"""Traces: one per pipeline run, one row per model call, so ops can read what happened and what
it cost, per conversation, customer, intent and outcome."""

from __future__ import annotations

from django.db import models

from conversations.models import Conversation, Message
from orders.models import Customer


class PipelineTrace(models.Model):
    class Outcome(models.TextChoices):
        ANSWERED = "answered", "Answered"
        HANDOFF = "handoff", "Handed to a human"
        FAILED = "failed", "Failed (fallback reply and handoff)"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="traces")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="trace")
    reply = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="reply_trace"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lane = models.CharField(max_length=8)
    intent = models.CharField(max_length=24)
    secondary_intents = models.JSONField(default=list)
    confidence = models.FloatField(default=0)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    handoff_reason = models.CharField(max_length=200, blank=True)
    degraded = models.BooleanField(
        default=False, help_text="Answered by the offline engine because providers failed."
    )
    cached = models.BooleanField(default=False)
    latency_ms = models.FloatField()
    model_ms = models.FloatField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    reasoning_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    retries = models.PositiveSmallIntegerField(default=0)
    repairs = models.PositiveSmallIntegerField(default=0)
    verifier_rejections = models.PositiveSmallIntegerField(default=0)
    facts = models.JSONField(default=dict)
    plan = models.JSONField(default=dict)
    stages = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="trace_created"),
            # (lane, created_at) plus latency: SQLite reads a lane's percentiles from the index.
            models.Index(
                fields=["lane", "created_at", "latency_ms"], name="trace_lane_created_latency"
            ),
            models.Index(fields=["intent", "created_at"], name="trace_intent_created"),
            models.Index(fields=["outcome", "created_at"], name="trace_outcome_created"),
            # Covers every column the ops dashboard aggregates over a period (ops/traces.py),
            # so its scans never read the wide rows (stages, facts, plan JSON).
            models.Index(
                fields=[
                    "created_at",
                    "lane",
                    "outcome",
                    "intent",
                    "latency_ms",
                    "cost_usd",
                    "retries",
                    "verifier_rejections",
                    "degraded",
                    "cached",
                    "customer",
                ],
                name="trace_dashboard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intent} via {self.lane} ({self.outcome})"


class ModelCall(models.Model):
    trace = models.ForeignKey(PipelineTrace, on_delete=models.CASCADE, related_name="calls")
    stage = models.CharField(max_length=12)
    model = models.CharField(max_length=80)
    provider = models.CharField(max_length=10)
    attempt = models.PositiveSmallIntegerField()
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    reasoning_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.FloatField(default=0)
    ttft_ms = models.FloatField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    outcome = models.CharField(max_length=16)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["trace", "id"]
        indexes = [
            models.Index(fields=["model", "stage"], name="modelcall_model_stage"),
            # The cost ledger's join from a period's traces to their calls' usage, index-only.
            models.Index(
                fields=[
                    "trace",
                    "model",
                    "stage",
                    "prompt_tokens",
                    "completion_tokens",
                    "reasoning_tokens",
                    "cost_usd",
                ],
                name="modelcall_trace_usage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.model} #{self.attempt} {self.outcome}"
