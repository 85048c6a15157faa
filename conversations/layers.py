"""The embedded defaults' channel layer: Channels' in-memory layer with its expiry sweep throttled.

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
