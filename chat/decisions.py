"""A customer's decision on a proposal, from the widget's Confirm / Decline (the `decision`
frame) or a replay: the proposal is decided and the bot's follow-up (the result in facts, then
the next step of the open requests) is written in one transaction, so a decision is never
carried out without its reply, nor answered twice. Its frames go to the sockets on commit:
`proposal_closed`, the bot's `message`, then a next `proposal` or a `handoff`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat.turns import ReplyWrite
from conversations.live import publish_on_commit
from conversations.models import Conversation, Message
from conversations.proposals import (
    ProposalNotFound,
    proposal_decide,
    proposal_open,
    proposal_withdraw,
    state_load,
    state_save,
)
from conversations.selectors import message_frame
from conversations.services import message_create
from desk.queue import handoff_enqueue
from pipeline.flows import FlowContext, decision_reply

__all__ = ["ProposalNotFound", "decision_apply"]

TAKEN_OVER = "A member of our team has taken over this conversation; nothing was changed."


def decision_apply(
    *,
    conversation_id: uuid.UUID | str,
    proposal_id: str,
    accept: bool,
    now: dt.datetime | None = None,
) -> ReplyWrite | None:
    """Decide and answer. None: the proposal was decided before (a repeated click, a second
    tab); nothing changes and nothing is written. Raises ProposalNotFound for an id that is not
    this conversation's."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if conversation.status == Conversation.Status.ASSIGNED:
            # A person owns the conversation (guarantee 6): the bot's offer is not carried out
            # behind them, and they answer. An id not of this conversation is still not found.
            proposal_withdraw(
                conversation_id=conversation_id, proposal_id=proposal_id, detail=TAKEN_OVER
            )
            return None
        decided = proposal_decide(
            conversation_id=conversation_id, proposal_id=proposal_id, accept=accept
        )
        if not decided.changed:
            return None
        context = FlowContext(
            conversation_id=conversation_id,
            customer_id=conversation.customer_id,
            now=now or timezone.now(),
            language=conversation.language or "en",
            store_id=conversation.store_id,
        )
        reply = decision_reply(
            context=context,
            proposal=decided.proposal,
            state=state_load(conversation_id=conversation_id),
        )
        write = message_create(
            conversation_id=conversation_id, sender=Message.Sender.BOT, text=reply.text
        )
        frame = message_frame(write.message)
        publish_on_commit(conversation_id, frame)
        frames: list[dict[str, Any]] = [decided.proposal.closed_frame(), frame]
        if reply.state is not None:
            state_save(conversation_id=conversation_id, data=reply.state)
        if reply.handoff_reason:
            state = handoff_enqueue(
                conversation_id=conversation_id, reason=reply.handoff_reason, intent=reply.intent
            )
            frames.append(state.frame())
        elif reply.proposal is not None:
            proposal = proposal_open(
                conversation_id=conversation_id,
                name=reply.proposal.name,
                arguments=reply.proposal.args,
                summary=reply.proposal.summary,
                reply_to_id=write.message.pk,
            )
            frames.append(proposal.frame())
    return ReplyWrite(write.message, created=True, frames=tuple(frames))
