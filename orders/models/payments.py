"""How customers pay: their saved methods, and each order's payment history."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models.core import Customer, Order, money


class PaymentMethod(models.Model):
    class Kind(models.TextChoices):
        CARD = "credit_card", "Credit card"
        PAYPAL = "paypal", "PayPal"
        GIFT_CARD = "gift_card", "Gift card"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payment_methods")
    external_id = models.CharField(max_length=40, blank=True, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    brand = models.CharField(max_length=20, blank=True, help_text="Cards: visa, mastercard...")
    last_four = models.CharField(max_length=4, blank=True)
    balance = money(null=True, blank=True, help_text="Gift cards only.")

    class Meta:
        ordering = ["customer", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_id"],
                condition=~Q(external_id=""),
                name="payment_method_external_id_once",
            ),
            models.CheckConstraint(
                condition=Q(balance__isnull=True) | Q(balance__gte=0),
                name="gift_card_balance_gte_0",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CARD:
            return f"{self.brand.title() or 'Card'} ending {self.last_four}"
        if self.kind == self.Kind.GIFT_CARD:
            return f"Gift card (${self.balance or Decimal('0.00')})"
        return "PayPal"

    @property
    def is_gift_card(self) -> bool:
        return self.kind == self.Kind.GIFT_CARD


class Payment(models.Model):
    """One line of an order's payment history: money taken from, or refunded to, a method."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = money()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} via {self.method}"
