"""The store policy: the rules the bot applies, as data ops edit in the admin."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Max, Q
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string

from orders.models.core import Order, money
from orders.models.records import ActionName
from orders.models.stores import DEMO_STORE, Store, default_store_id


class IdentityProof(models.TextChoices):
    ORDER_AND_EMAIL = "order_and_email", "Order number with e-mail"
    EMAIL = "email", "E-mail alone"
    NAME_AND_ZIP = "name_and_zip", "Name with zip code"


class RefundDestination(models.TextChoices):
    ORIGINAL = "original", "The original payment method"
    GIFT_CARD = "gift_card", "An existing gift card"
    ANY = "any", "Any of the customer's methods"


@deconstructible
class ChoicesListValidator:
    """A JSON list whose every value is one of a field's choices (e.g. the action names)."""

    def __init__(self, choices_path: str) -> None:
        self.choices_path = choices_path

    def __call__(self, value: object) -> None:
        allowed = set(import_string(self.choices_path).values)
        if not isinstance(value, list) or not set(value) <= allowed:
            raise ValidationError(f"choose from: {', '.join(sorted(allowed))}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoicesListValidator) and other.choices_path == self.choices_path

    def __hash__(self) -> int:
        return hash(self.choices_path)


validate_identity_proofs = ChoicesListValidator("orders.models.policy.IdentityProof")
validate_refund_destinations = ChoicesListValidator("orders.models.policy.RefundDestination")
validate_action_names = ChoicesListValidator("orders.models.records.ActionName")
validate_statuses = ChoicesListValidator("orders.models.core.Order.Status")


def default_cancel_reasons() -> list[str]:
    return ["no longer needed", "ordered by mistake"]


def default_identity_proofs() -> list[str]:
    return [IdentityProof.ORDER_AND_EMAIL]


def default_refund_destinations() -> list[str]:
    return [RefundDestination.ORIGINAL]


def default_bot_actions() -> list[str]:
    return [
        ActionName.CANCEL_PENDING_ORDER,
        ActionName.MODIFY_PENDING_ORDER_ADDRESS,
        ActionName.MODIFY_USER_ADDRESS,
        ActionName.SEND_REPLACEMENT_SHIPMENT,
        ActionName.UPGRADE_ORDER_SHIPPING,
        ActionName.ISSUE_REFUND,
    ]


def default_modifiable_statuses() -> list[str]:
    return [Order.Status.PENDING, Order.Status.PAID, Order.Status.PROCESSING]


class StorePolicy(models.Model):
    """The rules the bot applies, one row per store; ops edit it in the admin, the bot never does."""

    store = models.OneToOneField(
        Store, on_delete=models.CASCADE, related_name="policy", default=default_store_id
    )
    refund_window_days = models.PositiveSmallIntegerField(default=30)
    return_window_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=30,
        help_text="Days after delivery a return or exchange may be asked for; empty: no limit.",
    )
    bot_refund_limit = money(
        default=Decimal("100.00"), help_text="Largest refund the bot may grant without a human."
    )
    stalled_after_hours = models.PositiveSmallIntegerField(
        default=72, help_text="A shipment with no tracking scan for this long counts as stalled."
    )
    refund_shipping_when_late = models.BooleanField(
        default=True, help_text="Refund the paid shipping fee when a shipment misses its promise."
    )
    dispatch_cutoff_hour = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(23)],
        help_text="Same-day dispatch before this hour (UTC).",
    )
    cancel_reasons = models.JSONField(
        default=default_cancel_reasons,
        blank=True,
        help_text="The reasons a cancellation is accepted for, lower case; empty: any reason.",
    )
    identity_proofs = models.JSONField(
        default=default_identity_proofs,
        validators=[validate_identity_proofs],
        help_text="The facts that prove an anonymous visitor is the customer.",
    )
    refund_destinations = models.JSONField(
        default=default_refund_destinations,
        validators=[validate_refund_destinations],
        help_text="Where a return's refund may go.",
    )
    bot_actions = models.JSONField(
        default=default_bot_actions,
        blank=True,
        validators=[validate_action_names],
        help_text="The actions the bot may carry out alone; the rest need an agent.",
    )
    modifiable_statuses = models.JSONField(
        default=default_modifiable_statuses,
        validators=[validate_statuses],
        help_text="Order states in which an order may still be cancelled or changed.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "store policies"
        constraints = [
            models.CheckConstraint(condition=Q(bot_refund_limit__gte=0), name="policy_limit_gte_0"),
        ]

    def __str__(self) -> str:
        return f"Store policy: {self.store}"

    @classmethod
    def load(cls, store_code: str = DEMO_STORE) -> StorePolicy:
        store = Store.get(store_code)
        policy = cls.objects.filter(store=store).first()
        if policy is None:
            policy = cls.objects.create(pk=cls._free_pk(store_code), store=store)
        return policy

    @classmethod
    def _free_pk(cls, store_code: str) -> int:
        """Row 1 for the demo's policy, as before stores (code and tests name it so). Explicit
        ids for the others too: PostgreSQL's sequence never saw the explicit 1."""
        if store_code == DEMO_STORE and not cls.objects.filter(pk=1).exists():
            return 1
        return max(cls.objects.aggregate(last=Max("pk"))["last"] or 0, 1) + 1

    @classmethod
    def for_store_id(cls, store_id: int) -> StorePolicy:
        policy = cls.objects.filter(store_id=store_id).first()
        return policy or cls.load(Store.objects.get(pk=store_id).code)
