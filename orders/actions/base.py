"""What every action shares: who acts, the one refusal type, and the run that makes an action
one transaction, idempotent per proposal id, and recorded in the action log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from orders.models import ActionRecord, Customer, Order, StorePolicy

OVERRIDE_PERMISSION = "orders.override_policy"
NEEDS_A_PERSON = "That needs a member of our team; I can't do it on my own."


class ActionRefused(Exception):
    """The action was not carried out; the message is the sentence the customer is told."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Actor:
    """Who carries an action out: the bot, or an agent (a staff user)."""

    kind: str
    user: AbstractBaseUser | None = None
    # The agent asked to waive the policy (the console's checkbox); the permission still decides.
    override: bool = True

    @classmethod
    def bot(cls) -> Actor:
        return cls(ActionRecord.ActorKind.BOT)

    @classmethod
    def agent(cls, user: AbstractBaseUser, *, override: bool = True) -> Actor:
        return cls(ActionRecord.ActorKind.AGENT, user, override)

    @property
    def name(self) -> str:
        if self.user is None:
            return "bot"
        return self.user.get_full_name() or self.user.get_username()

    @property
    def may_override(self) -> bool:
        return self.override and self.user is not None and self.user.has_perm(OVERRIDE_PERMISSION)


@dataclass(frozen=True)
class ActionRequest:
    name: str
    proposal_id: str
    actor: Actor
    arguments: dict[str, Any]
    conversation_id: uuid.UUID | None = None
    customer_id: int | None = None  # the authenticated customer, when a conversation has one


@dataclass
class ActionContext:
    """The store policy in force while an action runs, and the policy rules an agent waived."""

    actor: Actor
    policy: StorePolicy
    overrides: list[str] = field(default_factory=list)

    def require(self, ok: bool, reason: str) -> None:
        """A fact of the store (state, stock, balance): nobody can waive it."""
        if not ok:
            raise ActionRefused(reason)

    def require_policy(self, ok: bool, reason: str) -> None:
        """A rule of the store policy: an agent with the override permission may waive it."""
        if ok:
            return
        if not self.actor.may_override:
            raise ActionRefused(reason)
        self.overrides.append(reason)

    def within_refund_limit(self, amount: Decimal) -> None:
        self.require_policy(
            amount <= self.policy.bot_refund_limit,
            f"A refund of ${amount} is more than I can approve on my own; "
            "a member of our team needs to take this.",
        )


@dataclass(frozen=True)
class Target:
    """The locked rows an action works on."""

    customer: Customer
    order: Order | None = None

    @property
    def store_id(self) -> int:
        return self.customer.store_id


Apply = Callable[[Target, ActionContext], dict[str, Any]]


def run_action(*, request: ActionRequest, lock: Callable[[], Target], apply: Apply) -> ActionRecord:
    """Lock, check for the proposal's record, apply, record: all in one transaction. A repeat of a
    done proposal returns the first record; a refusal is recorded and raised."""
    target: Target | None = None
    try:
        with transaction.atomic():
            target = lock()
            done = _done_record(request)
            if done is not None:
                return done
            _check_owner(request, target)
            context = ActionContext(request.actor, StorePolicy.for_store_id(target.store_id))
            # The list says what the bot may do alone; an agent is the person it hands the rest to.
            context.require_policy(
                request.actor.kind != ActionRecord.ActorKind.BOT
                or request.name in context.policy.bot_actions,
                NEEDS_A_PERSON,
            )
            result = apply(target, context)
            return _record(request, target, result, context.overrides)
    except ActionRefused as refusal:
        _record_refusal(request, target, refusal.reason)
        raise
    except IntegrityError:
        # The same proposal submitted twice at once: the unique constraint let one through.
        done = _done_record(request)
        if done is None:
            raise
        return done


def _done_record(request: ActionRequest) -> ActionRecord | None:
    return ActionRecord.objects.filter(
        name=request.name, proposal_id=request.proposal_id, status=ActionRecord.Status.DONE
    ).first()


def _check_owner(request: ActionRequest, target: Target) -> None:
    if request.customer_id is not None and target.customer.pk != request.customer_id:
        raise ActionRefused("I can only help with the account you signed in with.")


def _actor_fields(request: ActionRequest, target: Target | None) -> dict[str, Any]:
    return {
        "store_id": target.store_id if target else None,
        "actor_kind": request.actor.kind,
        "agent": request.actor.user,
        "actor_name": request.actor.name,
        "conversation_id": request.conversation_id,
        "proposal_id": request.proposal_id,
        "name": request.name,
        "arguments": request.arguments,
        "order": target.order if target else None,
        "customer": target.customer if target else None,
    }


def _record(
    request: ActionRequest, target: Target, result: dict[str, Any], overrides: list[str]
) -> ActionRecord:
    with transaction.atomic():
        return ActionRecord.objects.create(
            **_actor_fields(request, target),
            result={**result, "overrides": overrides} if overrides else result,
            policy_override=bool(overrides),
        )


def _record_refusal(request: ActionRequest, target: Target | None, reason: str) -> None:
    ActionRecord.objects.create(
        **_actor_fields(request, target),
        status=ActionRecord.Status.REFUSED,
        refusal=reason,
    )
