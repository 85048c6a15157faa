"""The offline command reader: what a customer's message asks, read from its words by rules.

Each reader answers one narrow question (which kinds of request, which reason, which orders by
number, which scope words) so the engine can combine them; none of them decides anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.flows import state as kinds

ORDER_REF = re.compile(r"#\s?([A-Z]\d{5,})", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ZIP = re.compile(r"\b(\d{5})\b")

# "cancel it", "I'd like it cancelled"; not "my cancelled order"
_CANCEL = re.compile(
    r"\bcancel(ling)?\b|\b(want|like|need|have|get|please)\b[^.?!]{0,25}\bcancell?ed\b", re.I
)
_RETURN = re.compile(r"\b(return|(send|give)\w* (it |them |\w+ )?back)\b", re.I)
_EXCHANGE = re.compile(r"\b(exchange|swap|trade)", re.I)
_CHANGE = re.compile(
    r"\b(chang\w*|switch\w*|upgrad\w*|modif\w*|replac\w*|downgrad\w*|swap\w*)\b", re.I
)
# "the address", "ship it to", or "send/deliver ... to 12 Oak Street": a destination with a
# house number is an address even when the word is not there.
_ADDRESS = re.compile(
    r"\baddress\b|\bship(ped|ping)? (it )?to\b|"
    r"\b(send|ship|deliver|mail)\w*\b[^.?!]{0,40}?\bto\s+\d+[a-z]?\s+[a-z]",
    re.I,
)
_PROFILE = re.compile(r"\b(default|profile|account|my address on file)\b", re.I)
_PAYMENT_CHANGE = re.compile(
    r"\b(change|switch|update|use a different)\b[^.?!]{0,30}\bpayment( method)?\b|"
    r"\bpay (for )?(it|(the |that |this |my )?order( #?\w+)?) (with|using|by)\b",
    re.I,
)
_NO_LONGER = re.compile(
    r"\b(no longer need|don'?t need|do not need|not need|no need|don'?t want|no longer want|"
    r"not needed|won'?t need|changed my mind about)",
    re.I,
)
_MISTAKE = re.compile(r"\b(by mistake|mistaken|by accident|accidental|wrong(ly)? order)", re.I)
_QUESTION_ONLY = re.compile(
    r"\b(can (i|you)|could (i|you)|is it possible|would i (also )?be able|am i able)\b", re.I
)
_HOLD_OFF = re.compile(
    r"\b(don'?t|do not) (process|do|touch|cancel|change|make|submit)\b|\bnot (yet|sure yet)\b|"
    r"\bleave (it|that order|the order)\b",
    re.I,
)
_ALL = re.compile(r"\b(both|all|each|every)\b|\bmy pending orders\b", re.I)
_EVERYTHING = re.compile(
    r"\b(everything|all (the )?items|all of (it|them)|whole order|entire order)\b", re.I
)
_EXCEPT = re.compile(r"\b(except|but not|other than|apart from)\b(.*)", re.I)
_OTHER = re.compile(r"\b(other|another|second|different) order", re.I)
_SAME = re.compile(
    r"\b(same|that|this) order\b|\bin (it|that one)\b|\bthat one\b|\bfrom (it|that)\b", re.I
)
_PENDING = re.compile(
    r"\b(pending|just (ordered|placed|bought)|not (yet )?(shipped|arrived)|"
    r"haven'?t (received|gotten)|placed)\b",
    re.I,
)
_DELIVERED = re.compile(r"\b(received|delivered|got|arrived|came|bought|opened)\b", re.I)
_WHOLE_OK = re.compile(
    r"\b(cancel|just cancel) (the|that) (whole|entire) order\b|"
    r"\bcancel (the )?(whole|entire|complete) order\b",
    re.I,
)
_WHOLE_NOT = re.compile(
    r"\b(don'?t|do not|not) (cancel|touch)|\bdon'?t do it\b|if (that|it) means cancel\w* the whole",
    re.I,
)


@dataclass(frozen=True)
class Words:
    """One message, read."""

    text: str
    order_refs: tuple[str, ...]
    kinds: tuple[str, ...]
    reason: str
    scope_all: bool
    everything: bool
    other_order: bool
    same_order: bool
    says_pending: bool
    says_delivered: bool
    hold_off: bool
    question_only: bool
    whole_ok: bool
    whole_not: bool


def words_read(text: str) -> Words:
    return Words(
        text=text,
        order_refs=tuple(dict.fromkeys(f"#{m.upper()}" for m in ORDER_REF.findall(text))),
        kinds=kinds_read(text),
        reason=reason_read(text),
        scope_all=bool(_ALL.search(text)),
        everything=bool(_EVERYTHING.search(text)),
        other_order=bool(_OTHER.search(text)),
        same_order=bool(_SAME.search(text)),
        says_pending=bool(_PENDING.search(text)),
        says_delivered=bool(_DELIVERED.search(text)),
        hold_off=bool(_HOLD_OFF.search(text)),
        question_only=bool(_QUESTION_ONLY.search(text)),
        whole_ok=bool(_WHOLE_OK.search(text)),
        whole_not=bool(_WHOLE_NOT.search(text)),
    )


def kinds_read(text: str) -> tuple[str, ...]:
    """The kinds of request the words name, in the order the engine takes them."""
    found = []
    wants_change = re.search(
        r"\b(chang|updat|correct|fix|set|modif|switch|use|make|put|move|send|ship)\w*", text, re.I
    )
    if _ADDRESS.search(text) and wants_change:
        profile = _PROFILE.search(text)
        on_orders = re.search(
            r"\bshipping\b|\b(on|of|for|in) (both|all|each|the|my|that|this)( of)?( my)?"
            r"( \w+)? orders?\b|\border'?s address\b",
            text,
            re.I,
        )
        # "change the order's address to my default one": the profile is where the address
        # comes from, not what changes
        target = re.split(r"\bto\b", text[wants_change.start() :], maxsplit=1)[0]
        if profile and (_PROFILE.search(target) or not on_orders):
            found.append(kinds.USER_ADDRESS)
        if on_orders or not profile:
            found.append(kinds.ORDER_ADDRESS)
    elif re.search(r"\b(profile|default)\b", text, re.I) and re.search(
        r"\b(update|change|set|correct)\w*\b", text, re.I
    ):
        found.append(kinds.USER_ADDRESS)
    if _PAYMENT_CHANGE.search(text):
        found.append(kinds.ORDER_PAYMENT)
    if _CANCEL.search(text):
        found.append(kinds.CANCEL)
    if _RETURN.search(text):
        found.append(kinds.RETURN)
    verb = _CHANGE.search(re.sub(r"\bchanged? (my|your) mind\b", " ", text, flags=re.I))
    item_change = verb and re.search(r"\b(to|for|into|instead)\b", text[verb.end() :], re.I)
    if _EXCHANGE.search(text) or (
        item_change and kinds.ORDER_ADDRESS not in found and kinds.USER_ADDRESS not in found
    ):
        found.append(kinds.CHANGE)
    return tuple(found)


def reason_read(text: str) -> str:
    if _MISTAKE.search(text):
        return "ordered by mistake"
    if _NO_LONGER.search(text):
        return "no longer needed"
    return ""


def except_part(text: str) -> str:
    """The words after "except": the items kept out of "everything"."""
    match = _EXCEPT.search(text)
    if not match:
        return ""
    return re.split(r"[:.;]", match.group(2), maxsplit=1)[0]


def clauses(text: str) -> list[str]:
    """The message in sentences, each read on its own for its request."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip() for p in parts if p.strip()]


_SPLIT = re.compile(
    r",?\s+(?:and|but)\s+(?:also\s+)?(?:i\s+(?:also\s+)?(?:want|need|would like|'d like)\s+to\s+|"
    r"please\s+)?(?=(?:cancel|return|exchange|swap|change|switch|modify|upgrade)\b)",
    re.I,
)


def segments(text: str) -> list[tuple[tuple[str, ...], str]]:
    """The message cut where a new request starts: each sentence, and "..., and exchange ..."
    inside one. Words naming no request (a payment method, "only the watch") stay with the
    request before them; words before any request go with the first one."""
    pieces: list[str] = []
    for sentence in clauses(text):
        pieces.extend(p for p in _SPLIT.split(sentence) if p and p.strip())
    out: list[tuple[tuple[str, ...], str]] = []
    lead = ""
    for piece in pieces:
        found = kinds_read(piece) or (kinds_read(f"{lead} {piece}") if lead else ())
        if found:
            out.append((found, f"{lead} {piece}".strip()))
            lead = ""
        elif out:
            kinds_, words = out[-1]
            out[-1] = (kinds_, f"{words} {piece}")
        else:
            lead = f"{lead} {piece}".strip()
    if (lead and not out) or lead:
        out.append(((), lead))
    return out
