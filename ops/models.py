"""Ops-owned records: golden cases replayed by `manage.py eval_golden`, and the permissions that
gate the dashboard and the privacy tools."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from conversations.models import Conversation, Message


class GoldenCase(models.Model):
    """A transcript turn promoted to a regression case, with the data it rested on."""

    name = models.CharField(max_length=120)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_text = models.TextField(help_text="The customer message to replay.")
    customer_email = models.EmailField(blank=True, help_text="Empty: an anonymous visitor.")
    now = models.DateTimeField(help_text="The clock the case is replayed at.")
    snapshot = models.JSONField(
        default=dict, help_text="The store data behind the answer: orders, policy, tier."
    )
    expected = models.JSONField(
        default=dict, help_text="Each stage's result when promoted: intent, facts, plan, reply."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("view_dashboard", "Can view the ops dashboard and cost ledger"),
            ("export_customer", "Can export a customer's data"),
            ("erase_customer", "Can erase a customer's personal data"),
        ]

    def __str__(self) -> str:
        return self.name


class EvalRun(models.Model):
    """One run of an evaluation suite: the golden cases (`eval_golden`) today; the model holds
    any suite by name, so dialogue cases can be stored the same way."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Scheduled"
        MANUAL = "manual", "By hand"

    suite = models.CharField(max_length=40, help_text="golden, or another suite's name.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["suite", "-started_at"], name="evalrun_suite_started")]

    def __str__(self) -> str:
        return f"{self.suite} at {self.started_at:%Y-%m-%d %H:%M}: {self.passed}/{self.total}"

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None


class EvalCaseResult(models.Model):
    """One case in one run: passed, or which stage changed first (or `error`)."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="results")
    case_key = models.CharField(max_length=64, help_text="The case's id within its suite.")
    name = models.CharField(max_length=200)
    passed = models.BooleanField()
    first_changed = models.CharField(max_length=20, blank=True)
    changed_stages = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "case_key"]
        constraints = [
            models.UniqueConstraint(fields=["run", "case_key"], name="evalcaseresult_run_case")
        ]

    def __str__(self) -> str:
        return f"{self.case_key}: {'passed' if self.passed else self.first_changed}"
