"""Conversations and their messages: the history every channel, agent and trace refers to."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models import Customer

MAX_MESSAGE_CHARS = 4000
# What pipeline.offline.language can tell apart.
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("de", "German"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
]


class Conversation(models.Model):
    class Priority(models.IntegerChoices):
        URGENT = 1, "Urgent"
        HIGH = 2, "High"
        NORMAL = 3, "Normal"
        LOW = 4, "Low"

    class Status(models.TextChoices):
        BOT = "bot", "With the bot"
        QUEUED = "queued", "Waiting for a human"
        ASSIGNED = "assigned", "With an agent"
        RESOLVED = "resolved", "Resolved"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        help_text="Signed in, or verified in chat by order number and e-mail.",
    )
    store = models.ForeignKey(
        "orders.Store",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The store whose widget it started in; empty means the demo store.",
    )
    verified_in_chat = models.BooleanField(default=False)
    visitor_key = models.CharField(
        max_length=64,
        blank=True,
        help_text=(
            "Whom the rate and token limits count against, set at start: customer:<id> when the"
            " customer is known, else client:<hash of the address>."
        ),
    )
    token_hash = models.CharField(max_length=64, help_text="SHA-256 of the widget's bearer token.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOT)
    last_seq = models.PositiveIntegerField(default=0)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    handoff_reason = models.CharField(max_length=200, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When it joined the human queue."
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    sla_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When a human should have answered, by priority."
    )
    intent = models.CharField(max_length=24, blank=True, help_text="The latest message's intent.")
    language = models.CharField(
        max_length=2,
        choices=LANGUAGES,
        blank=True,
        help_text="The customer's language, as their messages show it; the bot replies in it.",
    )
    anonymised_at = models.DateTimeField(
        null=True, blank=True, help_text="Personal data erased; aggregates kept."
    )
    csat_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    csat_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="conversation_status_created"),
            models.Index(fields=["customer", "-updated_at"], name="conversation_customer"),
            models.Index(fields=["status", "queued_at"], name="conversation_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5),
                name="conversation_csat_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        who = self.customer.name if self.customer_id else "visitor"
        return f"{who} · {self.created_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        BOT = "bot", "Bot"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField(help_text="1, 2, 3... per conversation, every sender.")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    text = models.TextField()
    client_id = models.UUIDField(null=True, blank=True, help_text="The widget's idempotency key.")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent who wrote it.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_unique",
            ),
            models.UniqueConstraint(
                fields=["reply_to"],
                condition=Q(sender="bot"),
                name="message_one_bot_reply",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_gte_1"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.sender}: {self.text[:60]}"


class ConversationState(models.Model):
    """Where the conversation stands between turns, written by the pipeline's flows
    (pipeline/flows/state.py gives it its shape): the verified identity, the orders in focus,
    the open requests with their filled and missing slots, what the bot offered last. One row
    per conversation, saved with the bot's reply, so it survives reconnects and restarts."""

    conversation = models.OneToOneField(
        Conversation, primary_key=True, on_delete=models.CASCADE, related_name="state"
    )
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"state of {self.conversation_id}"


class Proposal(models.Model):
    """A write action the bot put to the customer (contract guarantee 7): carried out only once
    the customer accepts this exact proposal, by the widget's `decision` frame or a typed yes,
    and at most once (its id is the action's idempotency key)."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for the customer"
        ACCEPTED = "accepted", "Accepted"  # decided, the action not yet through (a moment)
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        DONE = "done", "Done"
        FAILED = "failed", "Refused by the store's rules"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="proposals"
    )
    reply_to = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The bot message that put the proposal.",
    )
    name = models.CharField(max_length=40, help_text="The action (orders.models.ActionName).")
    arguments = models.JSONField(default=dict)
    summary = models.CharField(max_length=400, help_text="What the customer was asked.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    detail = models.CharField(max_length=400, blank=True, help_text="The result or refusal.")
    action = models.ForeignKey(
        "orders.ActionRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(state="open"), name="proposal_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    def frame(self) -> dict[str, object]:
        return {
            "type": "proposal",
            "proposal_id": str(self.pk),
            "reply_to": str(self.reply_to_id) if self.reply_to_id else None,
            "action": {"name": self.name, "args": self.arguments},
            "summary": self.summary,
        }

    def closed_frame(self) -> dict[str, object]:
        return {
            "type": "proposal_closed",
            "proposal_id": str(self.pk),
            "state": self.state,
            "detail": self.detail,
        }
