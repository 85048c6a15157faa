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
