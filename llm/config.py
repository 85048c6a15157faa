"""The gateway's typed configuration, read once from settings.LLM.

settings.py reads the environment; this module only reads django.conf.settings. Knobs that the
environment does not carry (timeouts, retry policy, breaker, token tiers) have their defaults
here and may be overridden by adding the same key to settings.LLM (tests do).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from llm.pricing import Price, price_table
from llm.types import STAGES, Stage

DEFAULT_MODELS: dict[Stage, str] = {
    "intent": "gemini-2.5-flash",
    "retrieval": "deepseek-v3.2",
    "reasoning": "gpt-4.1",
    "empathy": "claude-sonnet-4.5",
}
# The brief's temperature per tier, used when a request does not set one.
DEFAULT_TEMPERATURES: dict[Stage, float] = {
    "intent": 0.1,
    "retrieval": 0.0,
    "reasoning": 0.3,
    "empathy": 0.7,
}
# max_tokens per tier: a label is short, a plan is long, a reply is medium.
DEFAULT_MAX_TOKENS: dict[Stage, int] = {
    "intent": 256,
    "retrieval": 512,
    "reasoning": 1500,
    "empathy": 900,
}


@dataclass(frozen=True)
class TimeoutConfig:
    connect_s: float = 3.0
    read_s: float = 60.0  # a whole plain completion, or one socket read
    pool_s: float = 5.0  # waiting for a free pooled connection
    ttft_s: float = 15.0  # stream opened -> first content token
    stream_idle_s: float = 10.0  # longest silence between two chunks of a stream


@dataclass(frozen=True)
class RetryConfig:
    max_attempts: int = 3  # per model, first try included
    base_s: float = 0.25  # full-jitter backoff: uniform(0, min(cap, base * 2**n))
    cap_s: float = 4.0
    # A Retry-After longer than this is not waited for: the next model in the chain is tried.
    max_retry_after_s: float = 10.0
    request_retries: int = 6  # retries shared by every stage of one customer message


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5  # consecutive failed attempts that open the breaker
    cooldown_s: float = 30.0  # open -> half-open (one probe)


@dataclass(frozen=True)
class GatewayConfig:
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    models: Mapping[Stage, str] = field(default_factory=lambda: dict(DEFAULT_MODELS))
    fallback_models: tuple[str, ...] = ()
    prices: Mapping[str, Price] = field(default_factory=price_table)
    customer_daily_tokens: int = 200_000
    request_token_cap: int = 24_000  # prompt + completion over every stage of one message
    max_tokens: Mapping[Stage, int] = field(default_factory=lambda: dict(DEFAULT_MAX_TOKENS))
    max_tokens_ceiling: int = 4096  # after length-truncation a fallback may get up to this
    temperatures: Mapping[Stage, float] = field(default_factory=lambda: dict(DEFAULT_TEMPERATURES))
    context_windows: Mapping[str, int] = field(default_factory=dict)
    default_context_window: int = 128_000
    timeouts: TimeoutConfig = TimeoutConfig()
    retry: RetryConfig = RetryConfig()
    breaker: BreakerConfig = BreakerConfig()
    pool_size: int = 256
    transport: str = "aiohttp"  # "aiohttp" (httpx-aiohttp) or "httpx" (httpx's own pool)
    # A length-truncated answer from the last remote model: fall back to offline (True) or
    # keep it, flagged truncated=True, for the caller to handle (False).
    length_fallback_to_offline: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.base_url)

    def chain(self, stage: Stage) -> tuple[str, ...]:
        primary = self.models[stage]
        return (primary, *(m for m in self.fallback_models if m != primary))

    def context_window(self, model: str) -> int:
        return self.context_windows.get(model, self.default_context_window)


def _sub(kind: type, raw: Mapping[str, Any] | None) -> Any:
    return kind(**{k.lower(): v for k, v in (raw or {}).items()})


def load_config(llm: Mapping[str, Any] | None = None) -> GatewayConfig:
    """Build the config from settings.LLM (or the given mapping, for tests)."""
    raw: Mapping[str, Any] = settings.LLM if llm is None else llm
    models = {**DEFAULT_MODELS, **{k: v for k, v in raw.get("MODELS", {}).items() if v}}
    config = GatewayConfig(
        base_url=str(raw.get("BASE_URL") or "").strip().rstrip("/"),
        api_key=str(raw.get("API_KEY") or ""),
        models=models,
        fallback_models=tuple(raw.get("FALLBACK_MODELS") or ()),
        prices=price_table(str(raw.get("PRICES") or "")),
        customer_daily_tokens=int(raw.get("CUSTOMER_DAILY_TOKENS", 200_000)),
        max_tokens={**DEFAULT_MAX_TOKENS, **raw.get("MAX_TOKENS", {})},
        context_windows=dict(raw.get("CONTEXT_WINDOWS", {})),
        timeouts=_sub(TimeoutConfig, raw.get("TIMEOUTS")),
        retry=_sub(RetryConfig, raw.get("RETRY")),
        breaker=_sub(BreakerConfig, raw.get("BREAKER")),
    )
    scalars = ("REQUEST_TOKEN_CAP", "POOL_SIZE", "TRANSPORT", "LENGTH_FALLBACK_TO_OFFLINE")
    extra = {key.lower(): raw[key] for key in scalars if key in raw}
    return replace(config, **extra) if extra else config


_PLACEHOLDER = re.compile(r"^(changeme|change-me|your[-_ ]?(api[-_ ]?)?key|xxx+|todo)$", re.I)


def api_key_problem(key: str) -> str | None:
    """Why the key cannot be right, or None. Never echoes the key itself."""
    if not key:
        return "LLM_API_KEY is empty"
    if key.lower().startswith("bearer"):
        return "LLM_API_KEY starts with 'Bearer': give the key alone, the client adds the scheme"
    if key != key.strip() or any(ch.isspace() for ch in key):
        return "LLM_API_KEY contains whitespace (a stray newline or space from copy-paste?)"
    if not key.isascii() or not key.isprintable():
        return "LLM_API_KEY has non-ASCII or control characters"
    if any(ch in key for ch in "\"'<>") or "..." in key or _PLACEHOLDER.match(key):
        return "LLM_API_KEY looks like a placeholder or is quoted"
    if len(key) > 512:
        return f"LLM_API_KEY is {len(key)} characters long; no provider issues keys that long"
    return None


def validate_config(config: GatewayConfig) -> None:
    """Raise ImproperlyConfigured with a clear message; called at start when a URL is set."""
    if not config.configured:
        return
    url = urlsplit(config.base_url)
    if url.scheme not in {"http", "https"} or not url.netloc:
        raise ImproperlyConfigured(
            "LLM_BASE_URL must be an http(s) URL such as https://host/v1 "
            f"(got scheme {url.scheme!r}); unset it to use the offline engine"
        )
    problem = api_key_problem(config.api_key)
    if problem:
        raise ImproperlyConfigured(
            f"{problem}. LLM_BASE_URL is set, so a key is required; local servers that "
            "ignore keys accept any token such as 'local'. Unset LLM_BASE_URL for offline mode."
        )
    for stage in STAGES:
        if config.max_tokens.get(stage, 0) <= 0:
            raise ImproperlyConfigured(f"LLM MAX_TOKENS for {stage!r} must be positive")
    if config.transport not in {"aiohttp", "httpx"}:
        raise ImproperlyConfigured("LLM TRANSPORT must be 'aiohttp' or 'httpx'")
