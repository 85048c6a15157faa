from __future__ import annotations

from django.urls import path

from desk.consumers import ConsoleConsumer, QueueConsumer

websocket_urlpatterns = [
    path("ws/desk/queue/", QueueConsumer.as_asgi()),
    path("ws/desk/conversations/<uuid:conversation_id>/", ConsoleConsumer.as_asgi()),
]
