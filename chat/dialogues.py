"""Scripted dialogues (../shared/dialogues.md): replay whole customer conversations through the
same reply job the websocket runs, answer the bot's proposals as the scripted customer does, and
score what the store's action log, the replies and the handoff queue show at the end.

Each case runs inside a transaction that is rolled back, so every case starts from the store as
imported. The reply job's database work runs on this thread (async_to_sync routes the
thread-sensitive calls back to it), which is what keeps it inside that transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction

from chat.decisions import decision_apply
from chat.reply import respond_to_message
from conversations.models import Conversation, Message
from conversations.proposals import proposal_open_get
from conversations.services import conversation_create, message_create
from orders.models import ActionRecord, Customer, Store


class CaseInvalid(ValueError):
    """A line of the file is not a case as dialogues.md defines it."""


@dataclass(frozen=True)
class Case:
    id: str
    store: str
    signed_in: str | None
    turns: tuple[str, ...]
    actions: tuple[dict[str, Any], ...]
    say: tuple[str, ...]
    handoff: bool
    now: dt.datetime | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Case:
        try:
            expect = raw["expect"]
            turns = tuple(str(t) for t in raw["turns"])
            actions = tuple(
                {"name": str(a["name"]), "args": dict(a.get("args") or {})}
                for a in expect.get("actions") or []
            )
            now = dt.datetime.fromisoformat(raw["now"]) if raw.get("now") else None
            if now is not None and now.tzinfo is None:
                now = now.replace(tzinfo=dt.UTC)
            return cls(
                id=str(raw["id"]),
                store=str(raw["store"]),
                signed_in=(raw.get("visitor") or {}).get("signed_in"),
                turns=turns,
                actions=actions,
                say=tuple(str(s) for s in expect.get("say") or []),
                handoff=bool(expect.get("handoff", False)),
                now=now,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CaseInvalid(f"case {raw.get('id', '?')!r}: {exc!r}") from exc


def cases_read(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CaseInvalid(f"line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise CaseInvalid(f"line {number}: not a JSON object")
        cases.append(Case.parse(raw))
    return cases


@dataclass
class CaseResult:
    id: str
    passed: bool
    actions_ok: bool
    say_ok: bool
    handoff_ok: bool
    actions_done: list[dict[str, Any]]
    actions_expected: list[dict[str, Any]]
    missing_say: list[str]
    handed_off: bool
    transcript: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        failed = [
            name
            for name, ok in (
                ("actions", self.actions_ok),
                ("say", self.say_ok),
                ("handoff", self.handoff_ok),
            )
            if not ok
        ]
        return {
            "id": self.id,
            "passed": self.passed,
            "failed": failed,
            "actions_done": self.actions_done,
            "actions_expected": self.actions_expected,
            "missing_say": self.missing_say,
            "handoff": self.handed_off,
            "error": self.error,
            "transcript": [{"sender": s, "text": t} for s, t in self.transcript],
        }


# Scoring (dialogues.md "Scoring").


def normalised_action(action: dict[str, Any]) -> str:
    """An action as a comparable key: strings trimmed and lower-cased; item_ids with
    new_item_ids as a multiset of (old, new) pairs, item_ids alone as a multiset."""
    args = {str(k): v for k, v in (action.get("args") or {}).items()}
    items, new_items = args.pop("item_ids", None), args.pop("new_item_ids", None)
    key: dict[str, Any] = {k: _norm(v) for k, v in args.items()}
    if items is not None and new_items is not None:
        pairs = zip(map(_norm, items), map(_norm, new_items), strict=False)
        key["item_pairs"] = sorted(map(list, pairs))
        if len(items) != len(new_items):
            key["unpaired"] = [len(items), len(new_items)]
    elif items is not None:
        key["item_ids"] = sorted(map(_norm, items))
    elif new_items is not None:
        key["new_item_ids"] = sorted(map(_norm, new_items))
    return json.dumps([_norm(action.get("name", "")), key], sort_keys=True)


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def said(needle: str, replies: list[str]) -> bool:
    def plain(text: str) -> str:
        return text.replace("$", "").replace(",", "").lower()

    return any(plain(needle) in plain(reply) for reply in replies)


# Replaying.


class Replayer:
    """Replays cases on this database. Stores are expected to be there (the command imports
    them); a case whose store or signed-in customer is missing fails with that error."""

    def __init__(self, *, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s

    def run(self, case: Case) -> CaseResult:
        with transaction.atomic():
            try:
                return self._replay(case)
            finally:
                transaction.set_rollback(True)

    def _replay(self, case: Case) -> CaseResult:
        store = Store.objects.filter(code=case.store).first()
        if store is None:
            return _failed(case, f"store {case.store!r} is not in the database")
        customer = None
        if case.signed_in:
            customer = Customer.objects.filter(store=store, email__iexact=case.signed_in).first()
            if customer is None:
                return _failed(case, f"no customer {case.signed_in!r} in {case.store}")
        now = case.now or store.reference_time
        conversation, _ = conversation_create(customer=customer, store_id=store.pk)
        transcript: list[tuple[str, str]] = []
        expected = Counter(normalised_action(a) for a in case.actions)
        budget = 2 * len(case.turns) + 4
        for text in case.turns:
            if budget <= 0:
                break
            transcript.append(("customer", text))
            budget -= 1
            transcript.append(("bot", self._send(conversation, text, now)))
            budget = self._answer_proposals(conversation, expected, transcript, now, budget)
        return _score(case, conversation, transcript)

    def _send(self, conversation: Conversation, text: str, now: dt.datetime | None) -> str:
        write = message_create(
            conversation_id=conversation.pk,
            sender=Message.Sender.CUSTOMER,
            text=text,
            client_id=uuid.uuid4(),
        )
        frames: list[dict[str, Any]] = []

        async def publish(frame: dict[str, Any]) -> None:
            frames.append(frame)

        async_to_sync(respond_to_message)(
            message_id=str(write.message.pk), publish=publish, timeout_s=self.timeout_s, now=now
        )
        return next((f["text"] for f in frames if f["type"] == "message"), "")

    def _answer_proposals(
        self,
        conversation: Conversation,
        expected: Counter[str],
        transcript: list[tuple[str, str]],
        now: dt.datetime | None,
        budget: int,
    ) -> int:
        """The scripted customer answers each proposal at once: yes when it is an expected
        action not yet carried out, no otherwise (dialogues.md, step 3)."""
        while budget > 0:
            proposal = proposal_open_get(conversation_id=conversation.pk)
            if proposal is None:
                return budget
            key = normalised_action({"name": proposal.name, "args": proposal.arguments})
            accept = expected[key] > 0
            if accept:
                expected[key] -= 1
            transcript.append(("customer", f"[{'accept' if accept else 'decline'}]"))
            write = decision_apply(
                conversation_id=conversation.pk,
                proposal_id=str(proposal.pk),
                accept=accept,
                now=now,
            )
            budget -= 1
            if write is not None:
                transcript.append(("bot", write.message.text))
        return budget


def _score(case: Case, conversation: Conversation, transcript: list[tuple[str, str]]) -> CaseResult:
    done = [
        record.as_tau2()
        for record in ActionRecord.objects.filter(
            conversation_id=conversation.pk, status=ActionRecord.Status.DONE
        ).order_by("created_at", "pk")
    ]
    actions_ok = Counter(map(normalised_action, done)) == Counter(
        map(normalised_action, case.actions)
    )
    replies = [text for sender, text in transcript if sender == "bot"]
    missing = [needle for needle in case.say if not said(needle, replies)]
    conversation.refresh_from_db()
    handed_off = conversation.status in {
        Conversation.Status.QUEUED,
        Conversation.Status.ASSIGNED,
    }
    handoff_ok = handed_off == case.handoff
    return CaseResult(
        id=case.id,
        passed=actions_ok and not missing and handoff_ok,
        actions_ok=actions_ok,
        say_ok=not missing,
        handoff_ok=handoff_ok,
        actions_done=done,
        actions_expected=list(case.actions),
        missing_say=missing,
        handed_off=handed_off,
        transcript=transcript,
    )


def _failed(case: Case, error: str) -> CaseResult:
    return CaseResult(
        id=case.id,
        passed=False,
        actions_ok=False,
        say_ok=False,
        handoff_ok=False,
        actions_done=[],
        actions_expected=list(case.actions),
        missing_say=list(case.say),
        handed_off=False,
        error=error,
    )
