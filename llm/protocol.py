"""The OpenAI Chat Completions wire format without HTTP: request bodies, completion bodies and
the server-sent events of a stream, parsed for the three things we use from them:
`choices[0].delta.content`, `finish_reason` and the usage block.

This is the hot loop of every streamed answer (20+ events per reply, hundreds of replies a
second under load), so it splits whole network reads at once and decodes JSON with orjson.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from llm.errors import ProviderError
from llm.types import Usage


@dataclass(frozen=True)
class RawCompletion:
    text: str
    finish_reason: str
    usage: Usage | None  # None when the server sent no usage block
    model: str


def build_body(
    *,
    model: str,
    messages: list[dict[str, str]] | tuple[dict[str, str], ...],
    max_tokens: int | None,
    temperature: float | None,
    json_mode: bool,
    stream: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": list(messages)}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if temperature is not None:
        body["temperature"] = temperature
    if json_mode:
        body["response_format"] = {"type": "json_object"}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


@dataclass(frozen=True, slots=True)
class StreamText:
    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    finish_reason: str
    usage: Usage | None
    model: str


def parse_usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    details = raw.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
        reasoning_tokens=int(details.get("reasoning_tokens") or 0),
    )


class SSEParser:
    """One `data:` line per event; blank lines, comments (keep-alive pings) and event names
    are skipped without being decoded."""

    __slots__ = ("buffer", "done", "finish_reason", "model", "pieces", "usage")

    def __init__(self) -> None:
        self.buffer = b""
        self.pieces: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.model = ""
        self.done = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def got_content(self) -> bool:
        return bool(self.pieces)

    def feed(self, raw: bytes) -> list[str]:
        """The text pieces completed by this read (possibly none)."""
        if self.buffer:
            raw = self.buffer + raw
        lines = raw.split(b"\n")
        self.buffer = lines.pop()  # an unfinished line waits for the next read
        out: list[str] = []
        for line in lines:
            if not line.startswith(b"data:"):
                continue
            data = line[5:]
            if not data.endswith(b"}"):  # "[DONE]", or a JSON object followed by spaces or \r
                data = data.strip()
                if data == b"[DONE]":
                    self.done = True
                    break
            piece = self._event(data)
            if piece:
                self.pieces.append(piece)
                out.append(piece)
        return out

    def _event(self, data: bytes) -> str:
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise ProviderError(
                "protocol", "malformed JSON in stream", received_text=self.text
            ) from None
        if type(event) is not dict:
            raise ProviderError("protocol", "stream event is not an object")
        if "error" in event:
            message = str((event.get("error") or {}).get("message", "error event"))[:200]
            raise ProviderError("status", message, status=502, received_text=self.text)
        self.model = event.get("model") or self.model
        if event.get("usage"):
            self.usage = parse_usage(event["usage"]) or self.usage
        choices = event.get("choices")
        if not choices:
            return ""
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]
        delta = choice.get("delta")
        return (delta.get("content") or "") if delta else ""

    def end(self) -> StreamEnd:
        if self.finish_reason is None:
            raise ProviderError(
                "cut", "stream ended before a finish_reason", received_text=self.text
            )
        return StreamEnd(self.finish_reason, self.usage, self.model)


def parse_completion(content: bytes, requested_model: str) -> RawCompletion:
    try:
        data = orjson.loads(content)
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
        raise ProviderError("protocol", "malformed completion body") from None
    return RawCompletion(
        text=text,
        finish_reason=choice.get("finish_reason") or "stop",
        usage=parse_usage(data.get("usage")),
        model=data.get("model") or requested_model,
    )
