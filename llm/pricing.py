"""Price table: usage in tokens -> dollars.

Output prices are the brief's tiers. Input prices are the vendors' list prices for the same
models at the time of writing (uncached input): gemini-2.5-flash $0.30, deepseek-v3.2 $0.28,
gpt-4.1 $2.00, claude-sonnet-4.5 $3.00 per million tokens. A model missing from the table is
billed at the `default` entry, the dearest tier, so an unknown fallback model is never shown as
free. Override with settings.LLM["PRICES"] = "model=in/out,other=in/out" ($ per MTok), where
`default=in/out` changes the price of unknown models.

Reasoning tokens are part of completion_tokens in the OpenAI usage block, so they are billed at
the output price once, not twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from llm.types import Usage

DEFAULT_KEY = "default"


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float


DEFAULT_PRICES: dict[str, Price] = {
    "gemini-2.5-flash": Price(0.30, 2.50),
    "deepseek-v3.2": Price(0.28, 0.42),
    "gpt-4.1": Price(2.00, 8.00),
    "claude-sonnet-4.5": Price(3.00, 15.00),
    DEFAULT_KEY: Price(3.00, 15.00),
}


def parse_prices(raw: str) -> dict[str, Price]:
    """Parse "model=in/out,model=in/out"; raise ImproperlyConfigured naming the bad entry."""
    prices: dict[str, Price] = {}
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        model, sep, pair = entry.partition("=")
        inp, slash, out = pair.partition("/")
        try:
            if not (sep and slash and model.strip()):
                raise ValueError(entry)
            price = Price(float(inp), float(out))
        except ValueError:
            raise ImproperlyConfigured(
                f"LLM_PRICES entry {entry!r} is not of the form model=input/output "
                "(dollars per million tokens)"
            ) from None
        if price.input_per_mtok < 0 or price.output_per_mtok < 0:
            raise ImproperlyConfigured(f"LLM_PRICES entry {entry!r} has a negative price")
        prices[model.strip()] = price
    return prices


def price_table(overrides: str = "") -> dict[str, Price]:
    return {**DEFAULT_PRICES, **parse_prices(overrides)}


def price_for(model: str, table: Mapping[str, Price]) -> Price:
    return table.get(model) or table.get(DEFAULT_KEY) or DEFAULT_PRICES[DEFAULT_KEY]


def cost_usd(model: str, usage: Usage, table: Mapping[str, Price]) -> float:
    price = price_for(model, table)
    dollars = (
        usage.prompt_tokens * price.input_per_mtok + usage.completion_tokens * price.output_per_mtok
    ) / 1_000_000
    return round(dollars, 10)
