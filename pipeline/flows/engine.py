"""The flows' engine: a message or a decision in, a FlowReply out (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from conversations.models import Proposal
from conversations.proposals import proposal_decide, proposal_open_get
from pipeline.types import ProposalDraft


@dataclass(frozen=True)
class FlowContext:
    conversation_id: uuid.UUID | str
    customer_id: int | None  # the verified customer, if any
    now: dt.datetime
    language: str = "en"
    store_id: int | None = None  # None: the demo store


@dataclass(frozen=True)
class FlowReply:
    text: str
    proposal: ProposalDraft | None = None
    handoff_reason: str | None = None
    state: dict[str, Any] | None = None  # None: unchanged
    verified_customer_id: int | None = None
    intent: str = "flow"


_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|sure|ok(ay)?|confirm(ed)?|go ahead|do it|please do|correct|sí|si|oui|ja)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(no|nope|nah|don'?t|do not|cancel that|never ?mind|non|nein)\b", re.IGNORECASE
)


def flow_turn(*, context: FlowContext, text: str, state: dict[str, Any]) -> FlowReply | None:
    open_proposal = proposal_open_get(conversation_id=context.conversation_id)
    if open_proposal is not None:
        accept = _yes_or_no(text)
        if accept is not None:
            decided = proposal_decide(
                conversation_id=context.conversation_id,
                proposal_id=open_proposal.pk,
                accept=accept,
            )
            return decision_reply(context=context, proposal=decided.proposal, state=state)
    return None


def decision_reply(*, context: FlowContext, proposal: Proposal, state: dict[str, Any]) -> FlowReply:
    if proposal.state == Proposal.State.DONE:
        return FlowReply(f"Done: {proposal.summary.rstrip('?')}.", state=state)
    if proposal.state == Proposal.State.FAILED:
        return FlowReply(f"I couldn't do that: {proposal.detail}", state=state)
    if proposal.state == Proposal.State.DECLINED:
        return FlowReply("All right, I haven't changed anything.", state=state)
    return FlowReply("That offer has expired, so nothing was changed.", state=state)


def _yes_or_no(text: str) -> bool | None:
    if _YES.search(text):
        return True
    if _NO.search(text):
        return False
    return None
