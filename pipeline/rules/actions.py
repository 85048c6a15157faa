"""The plan's payouts, put to the customer as one proposal (contract guarantee 7).

The rules decide what the customer is owed (a loyalty discount, a missed promise's shipping fee, a
refund within policy); nothing is paid until the customer accepts. So the payouts become one
`issue_refund` proposal (each reason kept as a part, so the policy later sees each as paid), the
reply offers them and asks to confirm, and conversations.proposals carries the refund out through
orders.actions only on acceptance, once.
"""

from __future__ import annotations

from decimal import Decimal

from orders.models import ActionName, Order, Refund
from pipeline.flows.commands import reason_read
from pipeline.rules.phrases import TRANSLATED, say
from pipeline.rules.plan import phrase_step
from pipeline.rules.policy import DISCOUNT_REFUND_REASON, REFUND_REASON, SHIPPING_REFUND_REASON
from pipeline.types import ActionItem, Plan, ProposalDraft

# When the customer's words give no reason (the flows' reader finds none), the most common one;
# the proposal card shows it, so the customer confirms it too.
CANCEL_REASON = "no longer needed"
REFUND_REASONS = {
    "apply_discount": DISCOUNT_REFUND_REASON,
    "refund_shipping": SHIPPING_REFUND_REASON,
    "issue_refund": REFUND_REASON,
}


class ActionFailed(RuntimeError):
    pass


def plan_proposal(
    *,
    plan: Plan,
    order_number: str | None,
    customer_id: int | None,
    language: str = "en",
    text: str = "",
) -> ProposalDraft | None:
    """The refund the plan's payouts come to, as a proposal; None when it pays nothing. A reason
    already paid on the order is left out, so a repeated question never proposes it twice."""
    steps = _payout_steps(plan)
    cancel = any(s.kind == "offer_cancel" for s in plan.steps)
    if not steps and not cancel:
        return None
    order = Order.objects.filter(number=order_number, customer_id=customer_id).first()
    if order is None:
        raise ActionFailed("the plan names an order this customer does not have")
    language = language if language in TRANSLATED else "en"
    if not steps:
        return _cancel_proposal(order, language, reason_read(text) or CANCEL_REASON)
    paid = set(
        order.refunds.exclude(status=Refund.Status.REJECTED).values_list("reason", flat=True)
    )
    parts = [(REFUND_REASONS[s.kind], Decimal(s.amount)) for s in steps]
    parts = [(reason, amount) for reason, amount in parts if reason not in paid]
    if not parts:
        return None
    total = sum((amount for _, amount in parts), Decimal("0.00"))
    args: dict[str, object] = {
        "order_id": order.number,
        "amount": str(total),
        "reason": "; ".join(reason for reason, _ in parts),
    }
    if len(parts) > 1:
        args["parts"] = [{"reason": r, "amount": str(a)} for r, a in parts]
    summary = say("propose_refund", language, sum=total, number=order.number)
    return ProposalDraft(name=ActionName.ISSUE_REFUND, args=args, summary=summary)


def _cancel_proposal(order: Order, language: str, reason: str) -> ProposalDraft:
    """The rules found the order can still be cancelled: put it to the customer (the action
    service checks the order's state and the store's reasons again when they accept)."""
    return ProposalDraft(
        name=ActionName.CANCEL_PENDING_ORDER,
        args={"order_id": order.number, "reason": reason},
        summary=say("propose_cancel", language, number=order.number),
    )


def offer_plan(plan: Plan, proposal: ProposalDraft | None = None) -> Plan:
    """The plan as the reply states it while the proposal waits: each payout offered, not done,
    and the customer asked to confirm."""
    steps = tuple(_offered(step) for step in plan.steps)
    confirm = "confirm_proposal"
    if proposal is not None and proposal.name != ActionName.ISSUE_REFUND:
        confirm = "confirm_change"  # nothing is paid back as such: the order changes
    return Plan(
        headline=plan.headline,
        steps=(*steps, phrase_step(confirm, confirm)),
        source=plan.source,
        repairs=plan.repairs,
        rejections=plan.rejections,
        offered=True,
    )


def _payout_steps(plan: Plan) -> list[ActionItem]:
    return [s for s in plan.steps if s.kind in REFUND_REASONS and s.amount and s.amount > 0]


def _offered(step: ActionItem) -> ActionItem:
    if step.kind not in REFUND_REASONS or not step.amount or step.amount <= 0:
        return step
    if step.phrase == step.kind:  # the rules' own step: the same facts, offered
        return phrase_step(
            step.kind, f"{step.kind}_offer", amount=step.amount, date=step.date, **dict(step.args)
        )
    # A model's step states what it did in its own words: say only what is offered.
    return phrase_step(step.kind, "issue_refund_offer", amount=step.amount, sum=step.amount)
