from __future__ import annotations

from django.contrib import admin

from conversations.models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["seq", "sender", "text", "reply_to", "created_at"]
    readonly_fields = fields
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "customer",
        "status",
        "last_seq",
        "csat_score",
        "assigned_agent",
        "updated_at",
    ]
    list_filter = ["status", "csat_score", "verified_in_chat", "created_at"]
    search_fields = ["id", "customer__name", "customer__email", "messages__text"]
    readonly_fields = ["id", "token_hash", "last_seq", "created_at", "updated_at", "resolved_at"]
    raw_id_fields = ["customer", "assigned_agent"]
    list_select_related = ["customer", "assigned_agent"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["conversation", "seq", "sender", "text", "created_at"]
    list_filter = ["sender", "created_at"]
    search_fields = ["text", "conversation__id"]
    readonly_fields = ["id", "conversation", "seq", "client_id", "reply_to", "created_at"]
    list_select_related = ["conversation__customer"]
