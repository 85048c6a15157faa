"""The flows' state between turns, as one typed shape saved as JSON (ConversationState.data).

What the engine must remember: who the customer proved to be, which orders the talk is about,
the requests still open (each with what is known and what is still missing), the request whose
proposal is waiting for a decision, what was declined (never proposed again as it was), and the
money the conversation's done actions moved (for "how much am I getting back in total").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Request kinds: the τ² action each one ends in.
CANCEL = "cancel_pending_order"
ORDER_ADDRESS = "modify_pending_order_address"
ORDER_ITEMS = "modify_pending_order_items"
ORDER_PAYMENT = "modify_pending_order_payment"
USER_ADDRESS = "modify_user_address"
RETURN = "return_delivered_order_items"
EXCHANGE = "exchange_delivered_order_items"
# An item change whose order is not known yet: pending orders modify, delivered ones exchange.
CHANGE = "change_items"


@dataclass
class Request:
    """One thing the customer asked for, filled in over the turns."""

    kind: str
    order_id: str = ""
    item_ids: list[str] = field(default_factory=list)
    new_item_ids: list[str] = field(default_factory=list)
    payment_method_id: str = ""
    reason: str = ""
    address: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # the customer's words about it, oldest first
    asked: str = ""  # the slot the last question asked for
    refund: str = ""  # money the proposal sends back, quoted in its summary
    charge: str = ""  # money the proposal takes

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Request:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})

    def signature(self) -> str:
        """What a proposal of this request would carry: a declined one is not put again."""
        parts = [
            self.kind,
            self.order_id,
            ",".join(self.item_ids),
            ",".join(self.new_item_ids),
            self.payment_method_id,
            self.reason,
            ",".join(f"{k}={v}" for k, v in sorted(self.address.items())),
        ]
        return "|".join(parts)


@dataclass
class FlowState:
    customer_id: int | None = None
    focus: list[str] = field(default_factory=list)  # order numbers last talked about
    requests: list[Request] = field(default_factory=list)
    proposed: Request | None = None  # the request whose proposal waits for a decision
    declined: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)  # amounts refunded by done actions
    charges: list[str] = field(default_factory=list)  # amounts charged by done actions
    last_address: dict[str, str] = field(default_factory=dict)  # the last address proposed
    last_kind: str = ""  # the kind of the last request asked for ("and the mouse too")
    heard: str = ""  # what an unverified visitor said (a name one turn, the zip the next)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> FlowState:
        raw = raw or {}
        proposed = raw.get("proposed")
        return cls(
            customer_id=raw.get("customer_id"),
            focus=list(raw.get("focus") or []),
            requests=[Request.of(r) for r in raw.get("requests") or []],
            proposed=Request.of(proposed) if proposed else None,
            declined=list(raw.get("declined") or []),
            refunds=list(raw.get("refunds") or []),
            charges=list(raw.get("charges") or []),
            heard=str(raw.get("heard") or ""),
            last_kind=str(raw.get("last_kind") or ""),
            last_address=dict(raw.get("last_address") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def focus_on(self, *numbers: str) -> None:
        wanted = [n for n in numbers if n]
        if wanted:
            self.focus = list(dict.fromkeys(wanted))
