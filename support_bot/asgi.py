"""ASGI entry point: HTTP through Django, websockets through Channels.

get_asgi_application() runs before any consumer import so that the app registry is ready.
"""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_bot.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from conversations.routing import websocket_urlpatterns  # noqa: E402
from desk.routing import websocket_urlpatterns as desk_websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns + desk_websocket_urlpatterns))
        ),
    }
)

# Everything loaded at start-up lives for the whole process: freezing it keeps the collector from
# re-scanning ~180k long-lived objects, whose full passes otherwise stall every stream for ~100 ms
# (measured in `manage.py bench --section client`).
gc.freeze()
