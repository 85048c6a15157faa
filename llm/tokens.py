"""Token estimates and history trimming.

No tokenizer ships with the project (each vendor has its own), so we estimate: about four
characters per token for English, never fewer tokens than words, plus the chat format's
per-message overhead. It errs high, which is the safe side for budgets and context windows.
"""

from __future__ import annotations

from collections.abc import Sequence

MESSAGE_OVERHEAD = 4  # role and separators per message in the chat format
REPLY_PRIMING = 3  # the assistant turn the model is asked to write


def estimate_text_tokens(text: str) -> int:
    if not text:
        return 0
    return max(len(text.split()), (len(text) + 3) // 4)


def estimate_message_tokens(message: dict[str, str]) -> int:
    return MESSAGE_OVERHEAD + estimate_text_tokens(str(message.get("content") or ""))


def estimate_prompt_tokens(messages: Sequence[dict[str, str]]) -> int:
    return REPLY_PRIMING + sum(estimate_message_tokens(m) for m in messages)


def _pinned_indexes(messages: Sequence[dict[str, str]]) -> list[int]:
    """System prompts and the first user turn: what the conversation is about."""
    pinned = [i for i, m in enumerate(messages) if m.get("role") == "system"]
    first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), None)
    if first_user is not None:
        pinned.append(first_user)
    return sorted(pinned)


def trim_messages(
    messages: Sequence[dict[str, str]], limit_tokens: int
) -> tuple[dict[str, str], ...]:
    """Fit `messages` into `limit_tokens`: keep the system prompt, the first user turn and as
    many of the latest turns as fit, dropping the middle. The newest message is always kept
    (shortened from its start if even it alone cannot fit), so the model answers the question
    actually asked."""
    if estimate_prompt_tokens(messages) <= limit_tokens or not messages:
        return tuple(messages)
    last = len(messages) - 1
    pinned = [i for i in _pinned_indexes(messages) if i != last]
    used = REPLY_PRIMING + sum(estimate_message_tokens(messages[i]) for i in pinned)
    kept = {last}
    used += estimate_message_tokens(messages[last])
    for i in range(last - 1, -1, -1):
        if i in pinned:
            continue
        cost = estimate_message_tokens(messages[i])
        if used + cost > limit_tokens:
            break
        kept.add(i)
        used += cost
    result = [dict(messages[i]) for i in sorted({*pinned, *kept})]
    if used > limit_tokens:
        result = _shorten_last(result, used - limit_tokens)
    return tuple(result)


def _shorten_last(messages: list[dict[str, str]], excess_tokens: int) -> list[dict[str, str]]:
    content = str(messages[-1].get("content") or "")
    keep_chars = max(0, len(content) - excess_tokens * 4 - 16)
    messages[-1] = {**messages[-1], "content": content[len(content) - keep_chars :]}
    return messages
