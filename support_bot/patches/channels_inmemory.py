"""Patch: Channels' InMemoryChannelLayer sweeps for expired entries at most once a second.

Pinned: channels>=4.2,<5 (pyproject.toml); it overrides the private `_clean_expired`.
Upstream: django/channels#1976 reworked the in-memory layer's cleaning and still sweeps on every
operation; no upstream issue asks for throttling, since upstream calls this layer a test layer.
Test that fails without it: tests/support_bot/test_channel_layers.py
::test_the_sweep_runs_at_most_once_per_interval.

Channels' InMemoryChannelLayer sweeps for expired messages and group memberships on every
`send`, `receive` and `group_send`, walking every channel with a queue (each waiting socket has
one) and every group (one per open conversation). Each frame then costs O(open sockets): at 400
chats the sweep was a tenth of the web process's CPU (py-spy, `manage.py bench --section live`),
and it grows with every idle widget held. Expiry (60 s for messages, a day for groups) does not
need that precision: here the sweep runs at most once per CLEAN_EVERY_S, so a message may outlive
its expiry by that much before it is dropped.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

CLEAN_EVERY_S = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    def __init__(self, *args, clean_every_s: float = CLEAN_EVERY_S, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.clean_every_s = clean_every_s
        self._cleaned_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_every_s:
            return
        self._cleaned_at = now
        super()._clean_expired()
