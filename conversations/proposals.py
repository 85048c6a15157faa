"""Proposals and the conversation's state: the two things a conversation carries between turns.

A proposal is opened with the bot reply that puts it (pipeline's flows decide what to propose;
chat.turns writes it), and decided once: by the widget's `decision` frame or by a typed yes or
no the flows read. Deciding is one transaction: the row is locked, an accepted proposal is
carried out through the store's action services with the proposal's id as the idempotency key,
and the outcome is kept on the row, so a second decision, a retried run or a second process
finds it decided and changes nothing (contract guarantee 7).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from conversations.live import publish_on_commit
from conversations.models import Conversation, ConversationState, Proposal
from orders.actions import ActionRefused, Actor, action_apply

# A proposal left open this long is not accepted by a late "yes": the facts it quoted (totals,
# balances, what is still pending) may have changed since.
PROPOSAL_TTL_S = 24 * 3600


class ProposalNotFound(Exception):
    """No such proposal in this conversation: a guessed or stale id."""


@dataclass(frozen=True)
class Decided:
    """What deciding a proposal came to. `changed` is False when it had been decided already
    (a repeated decision): the outcome is the first one's."""

    proposal: Proposal
    changed: bool

    @property
    def done(self) -> bool:
        return self.proposal.state == Proposal.State.DONE


def state_load(*, conversation_id: uuid.UUID | str) -> dict[str, Any]:
    row = ConversationState.objects.filter(conversation_id=conversation_id).first()
    return dict(row.data) if row else {}


def state_save(*, conversation_id: uuid.UUID | str, data: dict[str, Any]) -> None:
    ConversationState.objects.update_or_create(
        conversation_id=conversation_id, defaults={"data": data}
    )


def proposal_open_get(*, conversation_id: uuid.UUID | str) -> Proposal | None:
    """The proposal waiting for the customer, if any; one past its time is expired on read."""
    proposal = Proposal.objects.filter(
        conversation_id=conversation_id, state=Proposal.State.OPEN
    ).first()
    if proposal is not None and _stale(proposal):
        _close(
            proposal, Proposal.State.EXPIRED, "It waited too long; ask again if you still want it."
        )
        return None
    return proposal


def proposal_open(
    *,
    conversation_id: uuid.UUID | str,
    name: str,
    arguments: dict[str, Any],
    summary: str,
    reply_to_id: uuid.UUID | str | None,
) -> Proposal:
    """Put a new proposal; one still open is expired first (the customer moved on). Its
    `proposal` frame goes to the conversation's sockets on commit."""
    with transaction.atomic():
        for earlier in Proposal.objects.select_for_update().filter(
            conversation_id=conversation_id, state=Proposal.State.OPEN
        ):
            _close(earlier, Proposal.State.EXPIRED, "Replaced by a newer proposal.")
        proposal = Proposal.objects.create(
            conversation_id=conversation_id,
            name=name,
            arguments=arguments,
            summary=summary[:400],
            reply_to_id=reply_to_id,
        )
        publish_on_commit(conversation_id, proposal.frame())
    return proposal


def proposal_decide(
    *, conversation_id: uuid.UUID | str, proposal_id: uuid.UUID | str, accept: bool
) -> Decided:
    """Accept or decline a proposal of this conversation, at most once. Accepting carries the
    action out as the bot, for the conversation's customer; a refusal by the store's rules
    closes it as `failed` with the sentence the customer is told."""
    with transaction.atomic():
        proposal = _locked(conversation_id, proposal_id)
        if proposal.state != Proposal.State.OPEN:
            return Decided(proposal, changed=False)
        if _stale(proposal):
            _close(proposal, Proposal.State.EXPIRED, "It waited too long; nothing was changed.")
        elif not accept:
            _close(proposal, Proposal.State.DECLINED, "Nothing was changed.")
        else:
            _carry_out(proposal)
    return Decided(proposal, changed=True)


def proposal_withdraw(
    *, conversation_id: uuid.UUID | str, proposal_id: uuid.UUID | str, detail: str
) -> None:
    """Close one proposal of this conversation as expired without carrying it out, whatever the
    customer answered (a person owns the conversation now)."""
    with transaction.atomic():
        proposal = _locked(conversation_id, proposal_id)
        if proposal.state == Proposal.State.OPEN:
            _close(proposal, Proposal.State.EXPIRED, detail)


def _locked(conversation_id: uuid.UUID | str, proposal_id: uuid.UUID | str) -> Proposal:
    try:
        key = uuid.UUID(str(proposal_id))
    except ValueError as exc:
        raise ProposalNotFound(str(proposal_id)) from exc
    proposal = (
        Proposal.objects.select_for_update().filter(pk=key, conversation_id=conversation_id).first()
    )
    if proposal is None:
        raise ProposalNotFound(str(proposal_id))
    return proposal


def proposals_expire(*, conversation_id: uuid.UUID | str, detail: str) -> None:
    """Close whatever is open (a person took over, or the customer changed the subject)."""
    with transaction.atomic():
        for proposal in Proposal.objects.select_for_update().filter(
            conversation_id=conversation_id, state=Proposal.State.OPEN
        ):
            _close(proposal, Proposal.State.EXPIRED, detail)


def _carry_out(proposal: Proposal) -> None:
    customer_id = (
        Conversation.objects.filter(pk=proposal.conversation_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    try:  # the service is its own savepoint and records a refusal itself
        record = action_apply(
            name=proposal.name,
            arguments=proposal.arguments,
            actor=Actor.bot(),
            proposal_id=str(proposal.pk),
            conversation_id=proposal.conversation_id,
            customer_id=customer_id,
        )
    except ActionRefused as exc:
        _close(proposal, Proposal.State.FAILED, exc.reason)
        return
    proposal.action = record
    _close(proposal, Proposal.State.DONE, "Done.")


def _close(proposal: Proposal, state: str, detail: str) -> None:
    proposal.state = state
    proposal.detail = detail[:400]
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["state", "detail", "decided_at", "action"])
    publish_on_commit(proposal.conversation_id, proposal.closed_frame())


def _stale(proposal: Proposal) -> bool:
    return (timezone.now() - proposal.created_at).total_seconds() > PROPOSAL_TTL_S
