"""What the bot resolved, in the sense a store pays for: a conversation counts as resolved by the
bot only if it never went to a person, the customer did not come back about it within
RESOLUTION_REOPEN_WINDOW_H, and they did not rate it low (CSAT 2 or less). An answer is not a
resolution: a wrong one is followed by a handoff, a return or a low score.

"Came back" is either a new conversation of the same customer (or, anonymous, the same visitor)
or a message in the same conversation after a quiet hour, within the window after the
conversation last went quiet. A conversation whose window has not closed yet is pending: counted
in neither the resolved nor the unresolved.

Read in Python over the period's conversations (at most CONVERSATION_ROWS), their customer
messages and the conversations started since: three bounded queries whatever the traffic.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from conversations.models import Conversation, Message
from ops.periods import Period, ratio
from ops.traces import ZERO, traces_in

CONVERSATION_ROWS = 20_000
QUIET_GAP = dt.timedelta(hours=1)  # a customer message after this long is a return
LOW_CSAT = 2


@dataclass(frozen=True)
class ConversationOutcome:
    conversation_id: object
    handed_off: bool
    reopened: bool
    low_csat: bool
    settled: bool  # the reopen window has closed
    csat: int | None

    @property
    def resolved_by_bot(self) -> bool:
        return self.settled and not (self.handed_off or self.reopened or self.low_csat)


@dataclass(frozen=True)
class Resolution:
    conversations: int
    settled: int
    pending: int
    resolved_by_bot: int
    handed_off: int
    reopened: int
    low_csat: int
    csat_bot: float | None
    csat_bot_n: int
    csat_agent: float | None
    csat_agent_n: int
    cost_usd: Decimal
    window_h: int
    resolved_ids: frozenset

    @property
    def resolution_rate(self) -> float | None:
        return ratio(self.resolved_by_bot, self.settled)

    @property
    def handoff_rate(self) -> float | None:
        return ratio(self.handed_off, self.conversations)

    @property
    def reopen_rate(self) -> float | None:
        return ratio(self.reopened, self.settled)

    @property
    def cost_per_resolved(self) -> Decimal | None:
        return self.cost_usd / self.resolved_by_bot if self.resolved_by_bot else None


def resolution_get(*, period: Period, now: dt.datetime | None = None) -> Resolution:
    now = now or timezone.now()
    window = dt.timedelta(hours=settings.RESOLUTION_REOPEN_WINDOW_H)
    outcomes = conversation_outcomes(period=period, now=now, window=window)
    settled = [o for o in outcomes if o.settled]
    bot_scores = [o.csat for o in outcomes if o.csat is not None and not o.handed_off]
    agent_scores = [o.csat for o in outcomes if o.csat is not None and o.handed_off]
    resolved = frozenset(o.conversation_id for o in outcomes if o.resolved_by_bot)
    cost = traces_in(period).aggregate(total=Sum("cost_usd"))["total"] or ZERO
    return Resolution(
        conversations=len(outcomes),
        settled=len(settled),
        pending=len(outcomes) - len(settled),
        resolved_by_bot=len(resolved),
        handed_off=sum(o.handed_off for o in outcomes),
        reopened=sum(o.reopened for o in settled),
        low_csat=sum(o.low_csat for o in outcomes),
        csat_bot=statistics.fmean(bot_scores) if bot_scores else None,
        csat_bot_n=len(bot_scores),
        csat_agent=statistics.fmean(agent_scores) if agent_scores else None,
        csat_agent_n=len(agent_scores),
        cost_usd=cost,
        window_h=settings.RESOLUTION_REOPEN_WINDOW_H,
        resolved_ids=resolved,
    )


def conversation_outcomes(
    *, period: Period, now: dt.datetime, window: dt.timedelta
) -> list[ConversationOutcome]:
    """The period's conversations in which the customer wrote, each with how it ended."""
    rows = list(
        Conversation.objects.filter(
            created_at__gte=period.start, created_at__lt=period.end, last_seq__gt=0
        )
        .order_by("created_at")
        .values_list("pk", "customer_id", "visitor_key", "created_at", "queued_at", "csat_score")[
            :CONVERSATION_ROWS
        ]
    )
    said = _customer_messages([row[0] for row in rows], period=period, window=window)
    starts = _starts_by_visitor(period=period, window=window)
    outcomes = []
    for pk, customer_id, visitor_key, created_at, queued_at, csat in rows:
        times = said.get(pk) or [created_at]
        returned = _came_back(times, window)
        quiet_since = times[-1] if not returned else times[0]
        later = starts.get(_visitor(customer_id, visitor_key), [])
        returned = returned or any(quiet_since < at <= quiet_since + window for at in later)
        outcomes.append(
            ConversationOutcome(
                conversation_id=pk,
                handed_off=queued_at is not None,
                reopened=returned,
                low_csat=csat is not None and csat <= LOW_CSAT,
                settled=returned or times[-1] + window <= now,
                csat=csat,
            )
        )
    return outcomes


def _customer_messages(
    ids: list[object], *, period: Period, window: dt.timedelta
) -> dict[object, list[dt.datetime]]:
    said: dict[object, list[dt.datetime]] = defaultdict(list)
    rows = (
        Message.objects.filter(
            conversation_id__in=ids,
            sender=Message.Sender.CUSTOMER,
            created_at__lt=period.end + window,
        )
        .order_by("conversation_id", "created_at")
        .values_list("conversation_id", "created_at")
    )
    for conversation_id, at in rows:
        said[conversation_id].append(at)
    return said


def _came_back(times: list[dt.datetime], window: dt.timedelta) -> bool:
    """A customer message after a quiet hour, within the window after the quiet began."""
    return any(QUIET_GAP < later - earlier <= window for earlier, later in pairwise(times))


def _visitor(customer_id: int | None, visitor_key: str) -> str:
    if customer_id is not None:
        return f"c:{customer_id}"
    return f"v:{visitor_key}" if visitor_key else ""


def _starts_by_visitor(*, period: Period, window: dt.timedelta) -> dict[str, list[dt.datetime]]:
    """When each customer or visitor started a conversation, up to a window past the period."""
    rows = (
        Conversation.objects.filter(
            created_at__gte=period.start, created_at__lt=period.end + window, last_seq__gt=0
        )
        .order_by("created_at")
        .values_list("customer_id", "visitor_key", "created_at")[: CONVERSATION_ROWS * 2]
    )
    starts: dict[str, list[dt.datetime]] = defaultdict(list)
    for customer_id, visitor_key, created_at in rows:
        key = _visitor(customer_id, visitor_key)
        if key:
            starts[key].append(created_at)
    return starts
