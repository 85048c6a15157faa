"""What the fake server answers to one chat request: text, pacing, usage and any fault."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from json.encoder import encode_basestring
from typing import Any

from fakes.faults import Fault
from fakes.http import LAST_CHUNK, chunk, json_response, raw_response, sse_head
from llm.tokens import estimate_prompt_tokens

_TOKENS = re.compile(r"\s*\S+\s*|\s+")
MALFORMED_BODY = b'{"id": "chatcmpl-fake", "choices": [{"message": '


@dataclass
class ReplyPlan:
    model: str
    stream: bool
    include_usage: bool
    pieces: list[str]
    finish_reason: str
    usage: dict[str, Any]
    ttft_s: float = 0.0
    interval_s: float = 0.0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang_before_head: bool = False
    stall_at: int | None = None
    cut_at: int | None = None
    cut_plain: bool = False
    malformed: bool = False

    @property
    def immediate(self) -> bool:
        timed = self.ttft_s or self.interval_s or self.hang_before_head
        broken = self.stall_at is not None or self.cut_at is not None or self.cut_plain
        return not (timed or broken)

    def error_body(self) -> dict[str, Any]:
        kind = "rate_limit_exceeded" if self.status == 429 else "server_error"
        message = f"fake {self.status} for {self.model}"
        return {"error": {"message": message, "type": kind, "code": self.status}}

    def frames(self) -> list[bytes]:
        created = int(time.time())
        prefix = (
            f'{{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":{created},'
            f'"model":{encode_basestring(self.model)},"choices":[{{"index":0,"delta":{{'
        )
        frames = []
        for index, piece in enumerate(self.pieces):
            role = '"role":"assistant",' if index == 0 else ""
            event = (
                f'{prefix}{role}"content":{encode_basestring(piece)}}},"finish_reason":null}}]}}'
            )
            frames.append(_sse(event.encode()))
        if self.malformed:
            frames.insert(len(frames) // 2, _sse(b"{not json"))
        finish = f'{prefix}}},"finish_reason":"{self.finish_reason}"}}]}}'
        frames.append(_sse(finish.encode()))
        if self.include_usage:
            usage = json.dumps(self.usage, separators=(",", ":"))
            tail = prefix.split(',"choices"')[0]
            frames.append(_sse(f'{tail},"choices":[],"usage":{usage}}}'.encode()))
        frames.append(_sse(b"[DONE]"))
        frames.append(LAST_CHUNK)
        return frames

    def full_response(self) -> bytes:
        if self.stream:
            return sse_head() + b"".join(self.frames())
        if self.malformed:
            return raw_response(200, MALFORMED_BODY, "application/json")
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(self.pieces)},
                    "finish_reason": self.finish_reason,
                }
            ],
            "usage": self.usage,
        }
        response = json_response(200, body)
        return response[: len(response) - len(response) // 3] if self.cut_plain else response


def _sse(data: bytes) -> bytes:
    return chunk(b"data: " + data + b"\n\n")


def plan_reply(body: dict[str, Any], options: Any, fault: Fault | None) -> ReplyPlan:
    text = options.responder(body)
    pieces = _TOKENS.findall(text)
    finish = "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit and len(pieces) > int(limit):
        pieces, finish = pieces[: int(limit)], "length"
    plan = ReplyPlan(
        model=str(body["model"]),
        stream=bool(body.get("stream")),
        include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        pieces=pieces,
        finish_reason=finish,
        usage={},
        ttft_s=options.ttft_ms / 1000,
        interval_s=1 / options.tokens_per_s if options.tokens_per_s else 0.0,
    )
    if fault is not None:
        _apply_fault(plan, fault)
    plan.usage = _usage(body, len(plan.pieces), options.reasoning_tokens)
    return plan


def _apply_fault(plan: ReplyPlan, fault: Fault) -> None:
    half = max(1, len(plan.pieces) // 2)
    if fault.status is not None:
        plan.status = fault.status
        if fault.name == "429":
            plan.headers["retry-after"] = f"{fault.arg if fault.arg is not None else 1:g}"
        elif fault.name == "429date":
            plan.headers["retry-after"] = formatdate(time.time() + (fault.arg or 1), usegmt=True)
    elif fault.name == "hang" or (fault.name == "stall" and not plan.stream):
        plan.hang_before_head = True
    elif fault.name == "stall":
        plan.stall_at = int(fault.arg if fault.arg is not None else 1)
    elif fault.name == "cut":
        plan.cut_at = int(fault.arg if fault.arg is not None else half)
        plan.cut_plain = not plan.stream
    elif fault.name == "malformed":
        plan.malformed = True
    elif fault.name == "garbled":
        plan.pieces = _TOKENS.findall(garble("".join(plan.pieces)))
    elif fault.name == "length":
        plan.pieces, plan.finish_reason = plan.pieces[:half], "length"
    elif fault.name == "slow":
        plan.ttft_s += (fault.arg or 0) / 1000


def garble(text: str) -> str:
    """The answer cut short and wrapped in chatter: not JSON, and no JSON object inside."""
    return f"Sure! Here is the JSON you asked for: {text[: max(1, len(text) // 2)]}"


def _usage(body: dict[str, Any], completion: int, reasoning: int) -> dict[str, Any]:
    prompt = estimate_prompt_tokens(body.get("messages") or [])
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion + reasoning,
        "total_tokens": prompt + completion + reasoning,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }
