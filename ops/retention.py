"""Transcript retention: conversations idle for longer than TRANSCRIPT_RETENTION_DAYS lose their
text, in bounded batches.

A trace points at its conversation and customer message with non-null cascading keys, and the
traces are the cost, latency and token aggregates the dashboard and the ledger read. So:

- a conversation with no trace is deleted outright (messages, notes and handoff events with it);
- a conversation with traces becomes a content-free stub: every message is deleted except the
  customer messages the traces hang on, whose text is emptied; notes and the CSAT comment go;
  the traces are scrubbed like an erasure (facts, plan wording, free text). Lanes, intents,
  outcomes, CSAT scores, tokens, costs and latencies stay countable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversations.models import Conversation, Message
from desk.models import ConversationNote
from ops.privacy import text_masked, traces_scrub
from pipeline.models import PipelineTrace

DEFAULT_BATCH = 500


@dataclass(frozen=True)
class PurgeBatch:
    deleted: int
    stubbed: int
    messages_deleted: int


@dataclass
class PurgeResult:
    cutoff: dt.datetime
    batches: int = 0
    deleted: int = 0
    stubbed: int = 0
    messages_deleted: int = 0
    done: bool = False
    history: list[PurgeBatch] = field(default_factory=list, repr=False)

    def add(self, batch: PurgeBatch) -> None:
        self.batches += 1
        self.deleted += batch.deleted
        self.stubbed += batch.stubbed
        self.messages_deleted += batch.messages_deleted
        self.history.append(batch)


def retention_cutoff(*, now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    days = settings.TRANSCRIPT_RETENTION_DAYS if days is None else days
    return (now or timezone.now()) - dt.timedelta(days=days)


def purgeable_conversations(*, cutoff: dt.datetime):
    """Idle since before the cutoff (updated_at moves with every message) and still holding
    something to purge; stubs already purged never match again."""
    has_text = Message.objects.filter(conversation=OuterRef("pk")).exclude(text="")
    has_trace = PipelineTrace.objects.filter(conversation=OuterRef("pk"))
    has_note = ConversationNote.objects.filter(conversation=OuterRef("pk"))
    return (
        Conversation.objects.filter(updated_at__lt=cutoff)
        .filter(~Exists(has_trace) | Exists(has_text) | Exists(has_note) | ~Q(csat_comment=""))
        .order_by("updated_at")
    )


def transcripts_purge(
    *,
    now: dt.datetime | None = None,
    days: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    max_batches: int | None = None,
) -> PurgeResult:
    """Purge batch after batch, each its own short transaction, until nothing is left or
    max_batches ran (the next scheduled run carries on)."""
    result = PurgeResult(cutoff=retention_cutoff(now=now, days=days))
    while max_batches is None or result.batches < max_batches:
        batch = transcripts_purge_batch(cutoff=result.cutoff, batch_size=batch_size)
        if batch.deleted + batch.stubbed == 0:
            result.done = True
            break
        result.add(batch)
    return result


def transcripts_purge_batch(*, cutoff: dt.datetime, batch_size: int) -> PurgeBatch:
    with transaction.atomic():
        ids = list(
            purgeable_conversations(cutoff=cutoff)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch_size]
        )
        traced = set(
            PipelineTrace.objects.filter(conversation_id__in=ids)
            .values_list("conversation_id", flat=True)
            .distinct()
        )
        bare = [pk for pk in ids if pk not in traced]
        deleted_messages = Message.objects.filter(conversation_id__in=bare).count()
        Conversation.objects.filter(pk__in=bare).delete()
        deleted_messages += _stubs_make(sorted(traced, key=str))
    return PurgeBatch(deleted=len(bare), stubbed=len(traced), messages_deleted=deleted_messages)


def _stubs_make(conversation_ids: list) -> int:
    traces = PipelineTrace.objects.filter(conversation_id__in=conversation_ids)
    traces_scrub(traces)
    anchors = traces.values_list("message_id", flat=True)
    extra = Message.objects.filter(conversation_id__in=conversation_ids).exclude(pk__in=anchors)
    deleted = extra.count()
    extra.delete()
    Message.objects.filter(pk__in=anchors).update(text="")
    ConversationNote.objects.filter(conversation_id__in=conversation_ids).delete()
    rows = Conversation.objects.filter(pk__in=conversation_ids)
    for pk, reason in rows.exclude(handoff_reason="").values_list("pk", "handoff_reason"):
        Conversation.objects.filter(pk=pk).update(handoff_reason=text_masked(reason))
    # A queryset update leaves updated_at alone: the stub keeps its real last-activity time.
    rows.update(csat_comment="", anonymised_at=Coalesce("anonymised_at", timezone.now()))
    return deleted
