from __future__ import annotations

from django.urls import path

from chat import api

app_name = "conversations"

urlpatterns = [
    path("conversations/", api.conversation_start, name="start"),
    path(
        "conversations/<str:conversation_id>/messages/",
        api.conversation_messages,
        name="messages",
    ),
]
