"""ASGI entry point: HTTP through Django, websockets through Channels.

get_asgi_application() runs before any consumer import so that the app registry is ready.
"""

from __future__ import annotations

import gc
import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_bot.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from chat.lifecycle import RestartSafe, hook_into_daphne  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402
from desk.routing import websocket_urlpatterns as desk_websocket_urlpatterns  # noqa: E402

# Django itself lets localhost in when debugging with no ALLOWED_HOSTS; so did channels' own
# AllowedHostsOriginValidator, which this list replaces.
allowed_hosts = settings.ALLOWED_HOSTS or (
    ["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
)

# RestartSafe and the Daphne hook: on start, finish what a stopped or crashed process left
# unanswered; on SIGTERM, drain (chat/lifecycle.py).
application = RestartSafe(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # The store origins the widget is embedded on, and the app's own hosts (the demo
            # store, the agent console): one list with the API's CORS.
            "websocket": OriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns + desk_websocket_urlpatterns)),
                [*settings.WIDGET_ALLOWED_ORIGINS, *allowed_hosts],
            ),
        }
    )
)
hook_into_daphne()

# Everything loaded at start-up lives for the whole process: freezing it keeps the collector from
# re-scanning ~180k long-lived objects, whose full passes otherwise stall every stream for ~100 ms
# (measured in `manage.py bench --section client`).
gc.freeze()

# Every ORM call runs on asgiref's one sync thread while the event loop thread handles sockets.
# When both are busy, a thread waiting for the GIL waits out the running one's switch interval,
# 5 ms by default, on every hop between them, and a reply makes four hops before its first token.
# At 1 ms the app-added time to first token at 200 paced chats fell from p99 71-83 ms to 53-60 ms
# with replies/s unchanged (the live bench section's paced and closed loops, two runs each).
sys.setswitchinterval(0.001)
