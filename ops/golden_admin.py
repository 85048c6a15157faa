"""The admin action that promotes conversations to golden cases."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from conversations.models import Conversation
from ops.golden import golden_case_promote


@admin.action(description="Promote to golden case")
def promote_to_golden_case(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Conversation]
) -> None:
    """Each selected conversation's latest answered customer message becomes a golden case."""
    if not request.user.has_perm("ops.add_goldencase"):
        modeladmin.message_user(request, "You may not create golden cases.", messages.ERROR)
        return
    promoted, skipped = [], []
    for pk in queryset.values_list("pk", flat=True):
        result = golden_case_promote(conversation_id=pk, actor_id=request.user.pk)
        if result.case is not None:
            promoted.append(result.case)
        else:
            skipped.append(f"{str(pk)[:8]}: {result.skipped}")
    if promoted:
        names = ", ".join(f"#{c.pk}" for c in promoted)
        modeladmin.message_user(request, f"Promoted to golden case {names}.", messages.SUCCESS)
    if skipped:
        modeladmin.message_user(request, "Skipped " + "; ".join(skipped), messages.WARNING)
