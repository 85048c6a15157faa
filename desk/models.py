"""The handoff desk: who may take conversations and how many, what agents wrote only for each
other, canned replies, and the log of every claim, release, reassignment and resolution."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from conversations.models import Conversation


class HandoffQueue(Conversation):
    """The queue as agents see it in the admin: a proxy over Conversation."""

    class Meta:
        proxy = True
        verbose_name = "handoff"
        verbose_name_plural = "handoff queue"
        permissions = [
            ("work_queue", "Can claim, reply to, reassign and resolve handoffs"),
            ("lead_queue", "Can reassign any handoff, also another agent's conversation"),
        ]


class AgentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    available = models.BooleanField(
        default=False, help_text="Takes new handoffs by round-robin assignment."
    )
    capacity = models.PositiveSmallIntegerField(
        default=3, help_text="Most conversations this agent owns at once."
    )
    last_assigned_at = models.DateTimeField(
        null=True, blank=True, help_text="Round-robin turn: the longest-idle agent goes next."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="agent_capacity_gte_1")
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class ConversationNote(models.Model):
    """An internal note: agents see it in the console; the customer never does."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class CannedResponse(models.Model):
    title = models.CharField(max_length=80, unique=True)
    text = models.TextField()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class HandoffEvent(models.Model):
    class Kind(models.TextChoices):
        QUEUED = "queued", "Queued"
        CLAIMED = "claimed", "Claimed"
        ASSIGNED = "assigned", "Assigned by round-robin"
        REASSIGNED = "reassigned", "Reassigned"
        RELEASED = "released", "Released to the queue"
        REQUEUED = "requeued", "Back to the queue: the agent did not answer in time"
        RESOLVED = "resolved", "Resolved"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="handoff_events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it; empty when the system did.",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agent who owns the conversation afterwards.",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "at"]
        indexes = [models.Index(fields=["kind", "at"], name="handoff_event_kind_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"
