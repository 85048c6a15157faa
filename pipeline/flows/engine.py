"""The flows' engine: a message or a decision in, a FlowReply out (see the package docstring).

A turn: decide an open proposal on a typed yes or no; otherwise prove who the visitor is (if
not yet), answer the questions the message asks, take its requests (several in one message are
queued), and put the next step of the first open request: one question, or one proposal. Only
stores whose policy accepts an e-mail or a name and zip code as proof are run by the flows; the
others keep the pipeline's older lanes.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from conversations.models import Proposal
from conversations.proposals import proposal_decide, proposal_open_get
from orders.models import IdentityProof, PaymentMethod
from pipeline.flows import commands
from pipeline.flows import state as k
from pipeline.flows.answers import answers_for
from pipeline.flows.identity import identify, store_proofs
from pipeline.flows.products import items_mentioned, items_read
from pipeline.flows.records import Snapshot, snapshot_load
from pipeline.flows.resolve import candidates, money, next_step
from pipeline.flows.state import FlowState, Request
from pipeline.types import ProposalDraft
from pipeline.verification import LOCKED_REASON


@dataclass(frozen=True)
class FlowContext:
    conversation_id: uuid.UUID | str
    customer_id: int | None  # the verified customer, if any
    now: dt.datetime
    language: str = "en"
    store_id: int | None = None  # None: the demo store
    visitor_key: str = ""  # whose failed identity checks count (pipeline.verification)


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
_HUMAN = re.compile(
    r"\b(human|real person|representative|(an? |the )?agent|someone (else )?who can|"
    r"talk to (a|some)one|supervisor|manager)\b",
    re.I,
)
_ASKS_ABOUT_STORE = re.compile(
    r"\b(order|account|refund|return|cancel|exchange|address|item)", re.I
)
_CAN_I = re.compile(
    r"\b(can|could) i\b|\bwould i\b.*\bable\b|\bis it possible\b|\bam i able\b", re.I
)
_UNDOABLE = re.compile(
    r"\b(undo|reinstate|restore|reopen|un-?cancel)\b.*\b(cancel\w*|order)\b|"
    r"\b(split|two|another|second) (the )?(payment|card)s?\b.*\b(pay|split|card)\b|"
    r"\bsplit (the )?payment\b",
    re.I,
)
# "can I ...?" about what the policy rules out: answered, nothing queued
_NOT_POSSIBLE = re.compile(
    r"\b(exact|exactly) (the )?same\b|\bsame (one|item|model)\b|"
    r"\b(just|only|single|one)\b[^.?!]{0,30}\bitems?\b",
    re.I,
)
_INSTEAD = re.compile(r"^\W*(\w+\W+){0,2}then\b|\binstead\b", re.I)
CANNOT = "The customer asked for something the store's tools can't do"
IDENTITY_QUESTION = (
    "Before I can look at your orders, I need to find your account: please tell me the e-mail "
    "on it, or your full name and zip code."
)
ANYTHING_ELSE = "Is there anything else I can help you with?"


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
    proofs = store_proofs(context.store_id)
    if IdentityProof.EMAIL not in proofs and IdentityProof.NAME_AND_ZIP not in proofs:
        return None
    st = FlowState.from_dict(state)
    customer_id = context.customer_id or st.customer_id
    verified_now = None
    if customer_id is None:
        found = identify(
            text=text,
            earlier=st.heard,
            store_id=context.store_id,
            proofs=proofs,
            conversation_id=str(context.conversation_id),
            visitor_key=context.visitor_key,
        )
        if found.outcome == "locked":
            return FlowReply(
                "I can't check any more details in this chat; a member of our team will help "
                "you confirm who you are.",
                handoff_reason=LOCKED_REASON,
                state=st.to_dict(),
            )
        if found.customer_id is None:
            st.heard = f"{st.heard} {text}"[-600:]
            if found.outcome == "failed":
                return FlowReply(
                    "I couldn't find an account with those details. Please check them: the "
                    "e-mail on your account, or your full name and zip code.",
                    state=st.to_dict(),
                )
            if _ASKS_ABOUT_STORE.search(text):
                return FlowReply(IDENTITY_QUESTION, state=st.to_dict())
            return None
        customer_id = verified_now = found.customer_id
        st.heard = ""
    st.customer_id = customer_id
    snap = snapshot_load(customer_id)
    if snap is None:
        return None
    reply = _turn(context, st, snap, text, greet=verified_now is not None)
    if reply is None:
        return None
    return replace(reply, verified_customer_id=verified_now) if verified_now else reply


def decision_reply(*, context: FlowContext, proposal: Proposal, state: dict[str, Any]) -> FlowReply:
    st = FlowState.from_dict(state)
    req, st.proposed = st.proposed, None
    if proposal.state == Proposal.State.DONE:
        first = _done_text(req, proposal)
        if req is not None:
            st.refunds += [req.refund] if req.refund else []
            st.charges += [req.charge] if req.charge else []
    elif proposal.state == Proposal.State.FAILED:
        first = f"I couldn't do that: {proposal.detail}"
    elif proposal.state == Proposal.State.DECLINED:
        if req is not None:
            st.declined.append(req.signature())
        first = "All right, I haven't changed anything. Tell me what you'd like different."
    else:
        first = "That offer has expired, so nothing was changed."
    customer_id = context.customer_id or st.customer_id
    snap = snapshot_load(customer_id) if customer_id else None
    if snap is None:
        return FlowReply(first, state=st.to_dict())
    if proposal.state == Proposal.State.DONE:
        first = f"{first}{_balances(req, snap)}"
    parts, draft = _advance(st, snap)
    text = " ".join([first, *parts])
    if draft is None and not parts:
        text = f"{text} {ANYTHING_ELSE}"
    return FlowReply(text, proposal=draft, state=st.to_dict())


# --- one message ----------------------------------------------------------------------------


def _turn(
    context: FlowContext, st: FlowState, snap: Snapshot, text: str, *, greet: bool
) -> FlowReply | None:
    parts: list[str] = []
    if greet:
        parts.append(f"Thank you, {snap.name.split()[0]}: I've found your account.")
    if _HUMAN.search(text):
        st.requests = []
        return FlowReply(
            " ".join([*parts, "I'm passing you to a member of our team now."]),
            handoff_reason="the customer asked for a person",
            state=st.to_dict(),
        )
    if _UNDOABLE.search(text):
        return FlowReply(
            " ".join(
                [
                    *parts,
                    "That isn't something I can do here: I can cancel or change pending orders, "
                    "return or exchange delivered items and change your default address.",
                ]
            ),
            state=st.to_dict(),
        )
    named = [
        o.number
        for o in (snap.order(f"#{r.upper()}") for r in commands.ORDER_REF.findall(text))
        if o
    ]
    st.focus_on(*named)
    answers = answers_for(text, snap, st, context.store_id)
    took = _take_requests(st, snap, text, parts)
    parts.extend(answers)
    steps, draft = _advance(st, snap)
    parts.extend(steps)
    if not took and not answers and not steps and draft is None:
        if greet:
            parts.append("How can I help you today?")
        else:
            return None
    return FlowReply(" ".join(parts), proposal=draft, state=st.to_dict())


def _take_requests(st: FlowState, snap: Snapshot, text: str, parts: list[str]) -> bool:
    """Queue the message's requests (or fill the one waiting for an answer). True: the message
    said something about a request."""
    took = False
    asked_now = {_family(kind) for kind in commands.kinds_read(text)}
    if _INSTEAD.search(text) and asked_now:
        # "then just drop the whole order": a new request in place of the one waiting for an answer
        st.requests = [r for r in st.requests if not r.asked or _family(r.kind) in asked_now]
    for found, words in commands.segments(text):
        if not found:
            continue
        read = commands.words_read(words)
        asks_only = read.hold_off and not read.whole_ok and not read.whole_not
        if asks_only or (_CAN_I.search(words) and _NOT_POSSIBLE.search(words)):
            parts.append(_could(st, snap, found, words))
            took = True
            continue
        for kind in found:
            _queue(st, snap, kind, words, text)
            took = True
    if took:
        return True
    waiting = next((r for r in st.requests if r.asked), None)
    if waiting is None:
        return _more_of_the_same(st, snap, text)
    read = commands.words_read(text)
    if read.hold_off or re.search(r"\b(leave|forget|never ?mind|skip)\b", text, re.I):
        st.requests.remove(waiting)
        parts.append("All right, I've left that as it is.")
        return True
    # The answer fills every queued request of the kind ("the reason? ..." for both orders).
    for req in st.requests:
        if req is waiting or (req.kind == waiting.kind and not req.asked):
            req.texts.append(text)
            req.asked = ""
    return True


def _family(kind: str) -> str:
    return k.CHANGE if kind in (k.CHANGE, k.ORDER_ITEMS, k.EXCHANGE) else kind


def _more_of_the_same(st: FlowState, snap: Snapshot, text: str) -> bool:
    """ "and the keyboard and the pet bed too, paypal": no verb, but items named after a request
    of a kind: one more request of that kind."""
    if not st.last_kind or not re.match(r"\s*(and|also|plus|same for|then)\b", text, re.I):
        return False
    probe = Request(kind=st.last_kind, texts=[text])
    pool = candidates(probe, snap, st)
    if not pool or not any(items_read(text, list(o.items)) for o in pool):
        return False
    _queue(st, snap, st.last_kind, text, text)
    return True


def _queue(st: FlowState, snap: Snapshot, kind: str, words: str, whole: str) -> None:
    if kind == k.CANCEL and re.search(r"\b(received|delivered|got)\b", words, re.I):
        kind = k.RETURN
    from pipeline.flows.payments import mentions_payment

    texts = [words] if mentions_payment(words) or not mentions_payment(whole) else [words, whole]
    if texts != [words]:
        texts = [whole, words]  # the payment named elsewhere in the message, the words last
    st.last_kind = kind
    new = Request(kind=kind, texts=list(texts))
    family = {k.CHANGE, k.ORDER_ITEMS, k.EXCHANGE}
    refs = commands.ORDER_REF.findall(words)
    for old in st.requests:
        same_kind = old.kind == kind or (old.kind in family and kind in family)
        if same_kind and (not refs or not old.order_id or f"#{refs[0].upper()}" == old.order_id):
            old.texts.extend(texts)
            old.asked = ""
            return
    read = commands.words_read(words)
    several = read.scope_all or re.search(r"\b(different|separate|two|both) orders\b", words, re.I)
    if kind in (k.CANCEL, k.ORDER_ADDRESS, k.RETURN) and several and not refs:
        pool = candidates(new, snap, st)
        if kind == k.RETURN:  # "all the X and Y I received, from different orders"
            pool = [
                o
                for o in snap.orders
                if o.status == "delivered" and items_mentioned(words, list(o.items))
            ]
        if len(pool) > 1:
            for order in pool:
                st.requests.append(Request(kind=kind, order_id=order.number, texts=[*texts]))
            return
    st.requests.append(new)


def _could(st: FlowState, snap: Snapshot, found: tuple[str, ...], words: str) -> str:
    """A "can I ...?" answered with what the policy and records say, nothing proposed."""
    if re.search(r"\b(exact|exactly) (the )?same\b|\bsame (one|item|model)\b", words, re.I):
        return (
            "An exchange can only be for a different option of the same product, so the exact "
            "same item isn't possible; a return is."
        )
    if found[0] == k.CANCEL and re.search(
        r"\b(just|only|single|one)\b[^.?!]{0,30}\bitems?\b", words, re.I
    ):
        return "I can only cancel a whole order, not single items in it."
    probe = FlowState(customer_id=st.customer_id, focus=list(st.focus))
    kind = found[0]
    req = Request(kind=kind, texts=[words])
    step = next_step(req, snap, probe)
    st.focus_on(*step.orders)
    if step.stop:
        return step.stop
    if kind == k.CANCEL and step.question.startswith("I can only cancel a whole order"):
        return step.question.split(": order")[0] + "."
    if step.proposal is not None or step.question:
        return "Yes, that's possible; just tell me when you'd like me to go ahead."
    return ""


def _advance(st: FlowState, snap: Snapshot) -> tuple[list[str], ProposalDraft | None]:
    """Walk the open requests: drop what can't be done (saying why), stop at the first
    question, or at the first proposal."""
    said: list[str] = []
    while st.requests:
        req = st.requests[0]
        step = next_step(req, snap, st)
        st.focus_on(*step.orders)
        if step.stop:
            said.append(step.stop)
            st.requests.pop(0)
            continue
        if step.question:
            said.append(step.question)
            return said, None
        if step.proposal is not None:
            st.requests.pop(0)
            if req.signature() in st.declined:
                said.append(
                    "You declined that change before, so I haven't put it again: tell me what "
                    "you'd like instead."
                )
                continue
            st.proposed = req
            if req.address:
                st.last_address = dict(req.address)
            said.append(f"{step.proposal.summary} Shall I go ahead?")
            return said, step.proposal
        st.requests.pop(0)
    return said, None


# --- after a decision -----------------------------------------------------------------------


def _done_text(req: Request | None, proposal: Proposal) -> str:
    if req is None:
        return f"Done: {proposal.summary.rstrip('?')}."
    args = proposal.arguments
    order = args.get("order_id", "")
    if req.kind == k.CANCEL:
        return f"Done: order {order} is cancelled, and {money(Decimal(req.refund or '0'))} is refunded to the original payment method."
    if req.kind == k.RETURN:
        return (
            f"Done: the return for order {order} is requested, and {money(Decimal(req.refund or '0'))} "
            "will be refunded. You'll receive an e-mail saying how to send the items back."
        )
    if req.kind == k.EXCHANGE:
        return f"Done: the exchange for order {order} is requested.{_difference(req)} You'll receive an e-mail saying how to send the items back."
    if req.kind == k.ORDER_ITEMS:
        return f"Done: the items in order {order} are changed.{_difference(req)}"
    if req.kind == k.ORDER_ADDRESS:
        return f"Done: order {order} will now ship to {_addr(args)}."
    if req.kind == k.USER_ADDRESS:
        return f"Done: your default address is now {_addr(args)}."
    return f"Done: {proposal.summary}"


def _difference(req: Request) -> str:
    if req.refund:
        return f" {money(Decimal(req.refund))} is refunded for the price difference."
    if req.charge:
        return f" {money(Decimal(req.charge))} is charged for the price difference."
    return ""


def _balances(req: Request | None, snap: Snapshot) -> str:
    if req is None:
        return ""
    out = ""
    method = snap.method(req.payment_method_id)
    if method is not None and method.kind == PaymentMethod.Kind.GIFT_CARD:
        out += f" Your gift card's balance is now {money(method.balance or Decimal('0'))}."
    order = snap.order(req.order_id) if req.order_id else None
    if order is not None and req.kind == k.ORDER_ITEMS:
        out += f" The order's new total is {money(order.total)}."
    return out


def _addr(args: dict[str, Any]) -> str:
    street = ", ".join(p for p in (args.get("address1"), args.get("address2")) if p)
    return f"{street}, {args.get('city')}, {args.get('state')} {args.get('zip')}, {args.get('country')}"


def _yes_or_no(text: str) -> bool | None:
    if _YES.search(text):
        return True
    if _NO.search(text):
        return False
    return None
