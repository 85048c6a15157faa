"""Privacy: a customer's data exported as JSON, and a customer erased.

Erasure anonymises rather than deletes, so the aggregates ops and accounting rely on survive:
trace counts, lanes, intents, costs, tokens and latencies stay on the traces, and orders keep
their money totals. Everything that names or describes the person is replaced.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversations.models import Conversation, Message
from desk.models import ConversationNote
from ops.models import GoldenCase
from ops.snapshot import ORDER, SHIPMENT
from orders.models import ActionRecord, Customer, Order, TrackingEvent
from orders.selectors import action_records_for_customer
from orders.services import customer_store_data_erase
from pipeline.models import PipelineTrace

EXPORT_FORMAT = "support_bot.customer-export.v1"
ERASED_TEXT = "[erased]"
ERASED_DOMAIN = "erased.invalid"
# Facts that describe the situation without identifying anyone: kept for ops' aggregates.
KEPT_FACTS = (
    "order_status",
    "shipment_status",
    "stalled",
    "promise_missed",
    "current_meets_deadline",
    "recommended_option",
    "can_cancel",
    "can_change_address",
)
KEPT_VERDICTS = {"discount": ("applies",), "refund": ("eligible", "within_bot_limit")}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT = re.compile(r"\d")


# -- export (a read) --


def customer_export(*, customer_id: int) -> dict[str, Any]:
    """Everything the store holds about one customer, in a fixed query count."""
    customer = Customer.objects.select_related("tier", "user").get(pk=customer_id)
    orders = (
        Order.objects.filter(customer=customer)
        .select_related("shipping_method")
        .prefetch_related(
            "items__product",
            "refunds",
            "shipments",
            Prefetch("shipments__events", queryset=TrackingEvent.objects.order_by("occurred_at")),
        )
        .order_by("placed_at")
    )
    conversations = (
        Conversation.objects.filter(customer=customer)
        .prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("seq")))
        .order_by("created_at")
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "customer": _customer_json(customer),
        "orders": [_order_json(order) for order in orders],
        "conversations": [_conversation_json(c) for c in conversations],
        "actions": [_action_json(r) for r in action_records_for_customer(customer_id=customer.pk)],
    }


def customer_export_json(*, customer_id: int) -> str:
    return json.dumps(customer_export(customer_id=customer_id), cls=DjangoJSONEncoder, indent=2)


def _action_json(record: ActionRecord) -> dict[str, Any]:
    """What was done (or refused) on the customer's orders or account, by whom, when."""
    return {
        "name": record.name,
        "status": record.status,
        "order": record.order.number if record.order_id else None,
        "actor": "bot" if record.actor_kind == ActionRecord.ActorKind.BOT else record.actor_name,
        "conversation_id": record.conversation_id,
        "arguments": record.arguments,
        "result": record.result,
        "refusal": record.refusal,
        "policy_override": record.policy_override,
        "created_at": record.created_at,
    }


def _customer_json(customer: Customer) -> dict[str, Any]:
    user = customer.user
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "locale": customer.locale,
        "tier": {"code": customer.tier.code, "name": customer.tier.name},
        "created_at": customer.created_at,
        "account": None
        if user is None
        else {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
    }


def _order_json(order: Order) -> dict[str, Any]:
    return {
        **{name: getattr(order, name) for name in ORDER},
        "shipping_method": order.shipping_method.name,
        "items": [
            {
                "sku": item.product.sku,
                "product": item.product.name,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
            }
            for item in order.items.all()
        ],
        "shipments": [
            {
                **{name: getattr(shipment, name) for name in SHIPMENT},
                "events": [
                    {
                        "at": e.occurred_at,
                        "location": e.location,
                        "status": e.status,
                        "description": e.description,
                    }
                    for e in shipment.events.all()
                ],
            }
            for shipment in order.shipments.all()
        ],
        "refunds": [
            {
                "amount": r.amount,
                "status": r.status,
                "reason": r.reason,
                "created_at": r.created_at,
                "decided_by": r.decided_by,
            }
            for r in order.refunds.all()
        ],
    }


def _conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "created_at": conversation.created_at,
        "status": conversation.status,
        "resolved_at": conversation.resolved_at,
        "csat": {"score": conversation.csat_score, "comment": conversation.csat_comment},
        "messages": [
            {"seq": m.seq, "sender": m.sender, "text": m.text, "at": m.created_at}
            for m in conversation.messages.all()
        ],
    }


# -- erase (a write) --


@dataclass(frozen=True)
class ErasureResult:
    customer_id: int
    already_erased: bool
    conversations: int
    messages: int
    traces: int
    orders: int
    golden_cases: int

    def summary(self) -> str:
        return (
            f"Erased personal data: {self.conversations} conversations, {self.messages} messages, "
            f"{self.traces} traces scrubbed, {self.orders} orders anonymised, "
            f"{self.golden_cases} golden cases deleted."
        )


def customer_is_erased(customer: Customer) -> bool:
    return customer.email.endswith("@" + ERASED_DOMAIN)


@dataclass(frozen=True)
class ErasurePreview:
    """What an erasure will touch, for the admin's confirmation page."""

    customer: Customer
    already_erased: bool
    conversations: int
    messages: int
    traces: int
    orders: int


def customer_erase_preview(*, customer: Customer) -> ErasurePreview:
    conversations = _conversation_ids(customer)
    return ErasurePreview(
        customer=customer,
        already_erased=customer_is_erased(customer),
        conversations=len(conversations),
        messages=Message.objects.filter(conversation_id__in=conversations).count(),
        traces=_traces_of(customer, conversations).count(),
        orders=Order.objects.filter(customer=customer).count(),
    )


def _conversation_ids(customer: Customer) -> list[Any]:
    return list(
        Conversation.objects.filter(Q(customer=customer) | Q(traces__customer=customer))
        .values_list("pk", flat=True)
        .distinct()
    )


def _traces_of(customer: Customer, conversation_ids: list[Any]) -> Any:
    return PipelineTrace.objects.filter(
        Q(conversation_id__in=conversation_ids) | Q(customer=customer)
    )


def customer_erase(*, customer_id: int, actor_id: int | None = None) -> ErasureResult:
    """Anonymise a customer everywhere. Idempotent: a second run changes nothing and says so.
    With an actor, the erasure is logged in the admin's history (without the erased name)."""
    with transaction.atomic():
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=customer_id)
        )
        already = customer_is_erased(customer)
        names = _name_tokens(customer)
        conversation_ids = _conversation_ids(customer)
        result = ErasureResult(
            customer_id=customer.pk,
            already_erased=already,
            conversations=_conversations_erase(conversation_ids, names),
            messages=_messages_erase(conversation_ids),
            traces=traces_scrub(_traces_of(customer, conversation_ids), names=names),
            orders=Order.objects.filter(customer=customer)
            .exclude(shipping_address=ERASED_TEXT)
            .update(shipping_address=ERASED_TEXT, notes=""),
            golden_cases=_golden_cases_delete(customer, conversation_ids),
        )
        _profile_erase(customer)
        customer_store_data_erase(customer_id=customer.pk)  # addresses, card digits, action args
        _history_scrub(customer)
        if actor_id is not None and not already:
            LogEntry.objects.log_actions(
                user_id=actor_id,
                queryset=[customer],
                action_flag=CHANGE,
                change_message=result.summary(),
                single_object=True,
            )
    return result


def _name_tokens(customer: Customer) -> tuple[str, ...]:
    if customer_is_erased(customer):
        return ()
    raw = [customer.name, customer.email.split("@")[0]]
    if customer.user is not None:
        raw += [customer.user.first_name, customer.user.last_name, customer.user.get_username()]
    tokens = {t for value in raw for t in re.split(r"[\s._-]+", value or "") if len(t) >= 3}
    return tuple(sorted(tokens, key=len, reverse=True))


def _conversations_erase(conversation_ids: list[Any], names: tuple[str, ...]) -> int:
    """Queryset updates, not save(): updated_at is the retention clock and must not move."""
    rows = Conversation.objects.filter(pk__in=conversation_ids)
    changed = rows.filter(anonymised_at__isnull=True).count()
    for pk, reason in rows.exclude(handoff_reason="").values_list("pk", "handoff_reason"):
        masked = text_masked(reason, names=names)
        if masked != reason:
            Conversation.objects.filter(pk=pk).update(handoff_reason=masked)
    rows.update(csat_comment="", anonymised_at=Coalesce("anonymised_at", timezone.now()))
    return changed


def _messages_erase(conversation_ids: list[Any]) -> int:
    ConversationNote.objects.filter(conversation_id__in=conversation_ids).exclude(
        text=ERASED_TEXT
    ).update(text=ERASED_TEXT)
    return (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .exclude(text__in=[ERASED_TEXT, ""])
        .update(text=ERASED_TEXT)
    )


def _golden_cases_delete(customer: Customer, conversation_ids: list[Any]) -> int:
    """A golden case is a copy of the transcript and the data behind it: it goes too."""
    query = Q(conversation_id__in=conversation_ids)
    if not customer_is_erased(customer):
        query |= Q(customer_email__iexact=customer.email)
    deleted, _ = GoldenCase.objects.filter(query).delete()
    return deleted


def _profile_erase(customer: Customer) -> None:
    customer.name = f"Erased customer {customer.pk}"
    customer.email = f"customer-{customer.pk}@{ERASED_DOMAIN}"
    customer.save(update_fields=["name", "email"])
    user = customer.user
    if user is not None:
        user.username = f"erased-customer-{customer.pk}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(
            update_fields=["username", "first_name", "last_name", "email", "is_active", "password"]
        )


def _history_scrub(customer: Customer) -> None:
    """The admin's history shows each object's name as it was: rewrite it for this customer."""
    targets = [(customer, str(customer))]
    if customer.user is not None:
        targets.append((customer.user, customer.user.get_username()))
    for obj, label in targets:
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).update(object_repr=label[:200])


# -- scrubbing traces (erasure and retention alike) --


def traces_scrub(traces: Any, *, names: tuple[str, ...] = ()) -> int:
    """Strip personal facts, plan wording and free text from traces, keeping every number ops
    aggregate (lane, intent, tokens, cost, latency, retries, repairs). Returns how many changed."""
    changed = []
    fields = ["facts", "plan", "stages", "handoff_reason", "error"]
    for trace in traces.only("pk", *fields).iterator(chunk_size=500):
        before = [getattr(trace, f) for f in fields]
        trace.facts = facts_scrubbed(trace.facts)
        trace.plan = plan_scrubbed(trace.plan, names=names)
        trace.stages = [_stage_scrubbed(s, names) for s in trace.stages]
        trace.handoff_reason = text_masked(trace.handoff_reason, names=names)
        trace.error = text_masked(trace.error, names=names)
        if [getattr(trace, f) for f in fields] != before:
            changed.append(trace)
    PipelineTrace.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)


def facts_scrubbed(facts: dict[str, Any]) -> dict[str, Any]:
    if not facts or facts.get("scrubbed"):
        return facts
    kept: dict[str, Any] = {key: facts.get(key) for key in KEPT_FACTS if key in facts}
    for key, flags in KEPT_VERDICTS.items():
        verdict = facts.get(key)
        kept[key] = {f: verdict.get(f) for f in flags} if isinstance(verdict, dict) else None
    return {**kept, "scrubbed": True}


def plan_scrubbed(plan: dict[str, Any], *, names: tuple[str, ...] = ()) -> dict[str, Any]:
    """The plan's action kinds stay (ops count what the bot did) and the verifier's rejections
    stay, masked, so failures still cluster on the dashboard; the wording goes."""
    if not plan or plan.get("scrubbed"):
        return plan
    return {
        "source": plan.get("source"),
        "repairs": plan.get("repairs", 0),
        "steps": [{"kind": step.get("kind")} for step in plan.get("steps", [])],
        "rejections": [text_masked(str(r), names=names) for r in plan.get("rejections") or []],
        "scrubbed": True,
    }


def _stage_scrubbed(stage: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {**stage, "detail": _masked_deep(stage.get("detail") or {}, names)}


def _masked_deep(value: Any, names: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return text_masked(value, names=names)
    if isinstance(value, dict):
        return {k: _masked_deep(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_deep(v, names) for v in value]
    return value


def text_masked(text: str, *, names: tuple[str, ...] = ()) -> str:
    """E-mails, digits (order, tracking and phone numbers, amounts) and the person's names
    masked; the shape of the sentence stays so failures still cluster."""
    if not text:
        return text
    masked = _DIGIT.sub("#", _EMAIL.sub("[email]", text))
    for name in names:
        masked = re.sub(rf"\b{re.escape(name)}\b", "[name]", masked, flags=re.IGNORECASE)
    return masked
