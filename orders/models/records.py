"""The action log: one row per write the bot or an agent carried out (or was refused), the
idempotency key of every action and what ops read in the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ActionName(models.TextChoices):
    """Every write a conversation can lead to: τ²'s retail verbs, then the demo store's own."""

    CANCEL_PENDING_ORDER = "cancel_pending_order", "Cancel a pending order"
    MODIFY_PENDING_ORDER_ADDRESS = "modify_pending_order_address", "Change an order's address"
    MODIFY_PENDING_ORDER_ITEMS = "modify_pending_order_items", "Change an order's items"
    MODIFY_PENDING_ORDER_PAYMENT = "modify_pending_order_payment", "Change an order's payment"
    MODIFY_USER_ADDRESS = "modify_user_address", "Change the customer's default address"
    RETURN_DELIVERED_ORDER_ITEMS = "return_delivered_order_items", "Return delivered items"
    EXCHANGE_DELIVERED_ORDER_ITEMS = "exchange_delivered_order_items", "Exchange delivered items"
    SEND_REPLACEMENT_SHIPMENT = "send_replacement_shipment", "Ship a replacement (late parcel)"
    UPGRADE_ORDER_SHIPPING = "upgrade_order_shipping", "Upgrade shipping before dispatch"
    ISSUE_REFUND = "issue_refund", "Refund part of an order"


class ActionRecord(models.Model):
    class ActorKind(models.TextChoices):
        BOT = "bot", "Bot"
        AGENT = "agent", "Agent"

    class Status(models.TextChoices):
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"

    store = models.ForeignKey(
        "orders.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_kind = models.CharField(max_length=5, choices=ActorKind.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="bot, or the agent's display name")
    # A plain UUID, not a foreign key: orders is the lowest app and knows nothing of conversations.
    conversation_id = models.UUIDField(null=True, blank=True, db_index=True)
    proposal_id = models.CharField(max_length=64, help_text="The idempotency key, with the name.")
    name = models.CharField(max_length=40, choices=ActionName.choices)
    arguments = models.JSONField(default=dict, help_text="As the actor gave them (our ids).")
    result = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DONE)
    refusal = models.CharField(max_length=300, blank=True, help_text="What the customer is told.")
    policy_override = models.BooleanField(default=False)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    customer = models.ForeignKey(
        "orders.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("override_policy", "Can carry out actions the store policy forbids the bot")
        ]
        constraints = [
            # Refusals may repeat (an agent may later carry the proposal out); a done one never.
            models.UniqueConstraint(
                fields=["name", "proposal_id"],
                condition=Q(status="done"),
                name="action_done_once_per_proposal",
            ),
        ]
        indexes = [models.Index(fields=["store", "-created_at"], name="action_store_time")]

    def __str__(self) -> str:
        return f"{self.name} ({self.status}) by {self.actor_name}"

    def as_tau2(self) -> dict[str, object]:
        """The action in τ²'s form (dialogues.md): its name and arguments with τ²'s ids. Services
        take τ²'s argument names, and a τ² row's id is its external id, so the arguments as
        given are that form already."""
        return {"name": self.name, "args": dict(self.arguments)}
