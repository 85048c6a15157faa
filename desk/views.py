"""The desk's admin pages: the agent console and the queue's buttons. Each view parses the
request, calls one service or selector, and renders a page or, for htmx, a named fragment.

They are mounted by HandoffQueueAdmin.get_urls() inside admin_site.admin_view (staff login);
`work_queue_required` then refuses anyone without `desk.work_queue` with HTTP 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from conversations.models import Conversation
from desk import actions, selectors, services
from desk.models import HandoffQueue
from desk.permissions import can_work_queue
from desk.services import DeskRefused, HandoffResult
from orders.actions.base import OVERRIDE_PERMISSION
from orders.models import Address

CONSOLE_TEMPLATE = "desk/console.html"
View = Callable[..., HttpResponse]


def work_queue_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_work_queue(request.user):
            raise PermissionDenied(
                "Working the handoff queue needs the desk.work_queue permission."
            )
        return view(request, *args, **kwargs)

    return wrapped


def console_url(conversation_id: uuid.UUID | str) -> str:
    return reverse("admin:desk_handoffqueue_console", args=[conversation_id])


def queue_url() -> str:
    return reverse("admin:desk_handoffqueue_changelist")


# The console.


@require_GET
@work_queue_required
def console(
    request: HttpRequest, conversation_id: uuid.UUID, *, site: admin.AdminSite
) -> HttpResponse:
    conversation = _conversation_or_404(conversation_id)
    orders = selectors.customer_orders_with_ledgers(conversation=conversation)
    context = {
        **site.each_context(request),
        **_console_context(request, conversation),
        "title": f"Conversation with {_customer_label(conversation)}",
        "transcript": selectors.transcript(conversation_id=conversation.pk),
        "orders": orders,
        "action_log": selectors.action_log(conversation_id=conversation.pk),
        "choices": selectors.action_choices(
            orders=[order for order, _ in orders], customer_id=conversation.customer_id
        ),
        "proposal_ids": {slug: actions.new_proposal_id() for slug in actions.CONSOLE_ACTIONS},
        "may_override": request.user.has_perm(OVERRIDE_PERMISSION),
        "pipeline": selectors.pipeline_state(conversation_id=conversation.pk),
        "memory": selectors.conversation_memory(conversation_id=conversation.pk),
        "canned": selectors.canned_responses(),
        "ws_path": f"/ws/desk/conversations/{conversation.pk}/",
    }
    return render(request, CONSOLE_TEMPLATE, context)


@require_GET
@work_queue_required
def console_panel(request: HttpRequest, conversation_id: uuid.UUID, **_: Any) -> HttpResponse:
    conversation = _conversation_or_404(conversation_id)
    return render(request, f"{CONSOLE_TEMPLATE}#panel", _console_context(request, conversation))


@require_GET
@work_queue_required
def console_transcript(request: HttpRequest, conversation_id: uuid.UUID, **_: Any) -> HttpResponse:
    conversation = _conversation_or_404(conversation_id)
    context = {"transcript": selectors.transcript(conversation_id=conversation.pk)}
    return render(request, f"{CONSOLE_TEMPLATE}#transcript", context)


@require_http_methods(["GET", "POST"])
@work_queue_required
def console_notes(request: HttpRequest, conversation_id: uuid.UUID, **_: Any) -> HttpResponse:
    conversation = _conversation_or_404(conversation_id)
    error = ""
    if request.method == "POST":
        try:
            services.note_create(
                conversation_id=conversation.pk,
                author=request.user,
                text=request.POST.get("text", ""),
            )
        except DeskRefused as exc:
            error = str(exc)
        if not request.htmx:
            _flash(request, ok=not error, detail=error or "Note saved.")
            return HttpResponseRedirect(console_url(conversation.pk))
    context = {
        "conversation": conversation,
        "notes": selectors.notes_for(conversation_id=conversation.pk),
        "note_error": error,
    }
    return render(request, f"{CONSOLE_TEMPLATE}#notes", context)


@require_POST
@work_queue_required
def console_reply(request: HttpRequest, conversation_id: uuid.UUID, **_: Any) -> HttpResponse:
    conversation = _conversation_or_404(conversation_id)
    text = request.POST.get("text", "")
    error = ""
    try:
        services.agent_reply(conversation_id=conversation.pk, agent=request.user, text=text)
    except DeskRefused as exc:
        error = str(exc)
    if not request.htmx:
        _flash(request, ok=not error, detail=error or "Reply sent.")
        return HttpResponseRedirect(console_url(conversation.pk))
    context = {
        "conversation": conversation,
        "reply_error": error,
        "reply_text": text if error else "",
        "canned": selectors.canned_responses(),
    }
    return render(request, f"{CONSOLE_TEMPLATE}#reply_form", context)


# Acting on the customer's orders.


@require_POST
@work_queue_required
def console_action(
    request: HttpRequest, conversation_id: uuid.UUID, *, action: str, **_: Any
) -> HttpResponse:
    conversation = _conversation_or_404(conversation_id)
    try:
        result = actions.console_action(
            conversation_id=conversation.pk,
            agent=request.user,
            name=actions.CONSOLE_ACTIONS[action],
            arguments=_ACTION_ARGUMENTS[action](request.POST),
            proposal_id=request.POST.get("proposal_id", ""),
            override=request.POST.get("override") == "1",
        )
    except DeskRefused as exc:
        result = actions.ConsoleActionResult(False, str(exc))
    if not request.htmx:
        _flash(request, ok=result.ok, detail=result.detail)
        return HttpResponseRedirect(console_url(conversation.pk))
    response = render(request, f"{CONSOLE_TEMPLATE}#flash", {"result": result})
    trigger_client_event(response, "desk:actions-changed")
    if result.ok:  # fresh forms, with fresh proposal ids; a refused form keeps what was typed
        trigger_client_event(response, "desk:action-done")
    return response


def _order_and(post: Any, **more: Any) -> dict[str, Any]:
    order_id = post.get("order_id", "").strip()
    if not order_id:
        raise DeskRefused("Choose an order.")
    return {"order_id": order_id, **more}


def _refund_arguments(post: Any) -> dict[str, Any]:
    try:
        amount = Decimal(post.get("amount", "").strip())
    except InvalidOperation:
        amount = Decimal("0")
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise DeskRefused("Give the refund as an amount in dollars and cents, like 43.34.")
    reason = post.get("reason", "").strip()
    if not reason:
        raise DeskRefused("Say why the refund is given; the customer's order history shows it.")
    return _order_and(post, amount=amount, reason=reason[:200])


def _chosen(post: Any, name: str, what: str) -> list[str]:
    values = [v.strip() for v in post.getlist(name) if v.strip()]
    if not values:
        raise DeskRefused(f"Choose {what}.")
    return values


_ACTION_ARGUMENTS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "refund": _refund_arguments,
    "replacement": lambda post: _order_and(
        post, option_code=_chosen(post, "option_code", "a replacement option")[0]
    ),
    "cancel": lambda post: _order_and(post, reason=_chosen(post, "reason", "a reason")[0]),
    "address": lambda post: _order_and(
        post, **{f: post.get(f, "").strip()[:120] for f in Address.FIELDS}
    ),
    "return": lambda post: _order_and(
        post,
        item_ids=_chosen(post, "item_ids", "the items to return"),
        payment_method_id=_chosen(post, "payment_method_id", "where the refund goes")[0],
    ),
    "exchange": lambda post: _order_and(
        post,
        item_ids=_chosen(post, "item_ids", "the item to exchange"),
        new_item_ids=_chosen(post, "new_item_ids", "the item to send instead"),
        payment_method_id=_chosen(post, "payment_method_id", "who pays the difference")[0],
    ),
}


# The queue's buttons.


@require_POST
@work_queue_required
def handoff_action(
    request: HttpRequest, conversation_id: uuid.UUID, *, action: str, **_: Any
) -> HttpResponse:
    conversation = _conversation_or_404(conversation_id)
    try:
        result = _act(request, conversation, action)
    except DeskRefused as exc:
        result = HandoffResult(False, str(exc), conversation.status)
    if action == "claim" and result.ok:
        target = console_url(conversation.pk)
        if request.htmx:
            return HttpResponseClientRedirect(target)
        _flash(request, ok=True, detail=result.detail)
        return HttpResponseRedirect(target)
    return _action_response(request, result)


def _act(request: HttpRequest, conversation: Conversation, action: str) -> HandoffResult:
    user, pk = request.user, conversation.pk
    if action == "claim":
        return services.handoff_claim(conversation_id=pk, agent=user)
    if action == "release":
        return services.handoff_release(conversation_id=pk, agent=user)
    if action == "resolve":
        return services.handoff_resolve(conversation_id=pk, actor=user)
    if action == "reassign":
        to_agent = get_user_model().objects.filter(pk=_int(request.POST.get("agent"))).first()
        if to_agent is None:
            raise DeskRefused("Choose an agent to reassign to.")
        return services.handoff_reassign(conversation_id=pk, actor=user, to_agent=to_agent)
    raise Http404("No such action.")


@require_POST
@work_queue_required
def availability(request: HttpRequest, **_: Any) -> HttpResponse:
    available = request.POST.get("available") == "1"
    services.agent_availability_set(agent=request.user, available=available)
    detail = (
        "You are available: new handoffs come to you in turn."
        if available
        else "You are away: no new handoffs come to you."
    )
    return _action_response(request, HandoffResult(True, detail, ""))


def _action_response(request: HttpRequest, result: HandoffResult) -> HttpResponse:
    if request.htmx:
        response = render(request, f"{CONSOLE_TEMPLATE}#flash", {"result": result})
        # The socket says so too; this makes the acting page update even if its socket is down.
        trigger_client_event(response, "desk:queue-changed")
        return trigger_client_event(response, "desk:state-changed")
    _flash(request, ok=result.ok, detail=result.detail)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = queue_url()
    return HttpResponseRedirect(target)


# Helpers.


def _console_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation": conversation,
        "customer": conversation.customer,
        "is_mine": conversation.status == Conversation.Status.ASSIGNED
        and conversation.assigned_agent_id == request.user.pk,
        "agents": [
            a for a in selectors.agent_choices() if a.user_id != conversation.assigned_agent_id
        ],
        "notes": selectors.notes_for(conversation_id=conversation.pk),
        "opts": HandoffQueue._meta,
    }


def _conversation_or_404(conversation_id: uuid.UUID) -> Conversation:
    conversation = selectors.conversation_for_console(conversation_id=conversation_id)
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def _customer_label(conversation: Conversation) -> str:
    return conversation.customer.name if conversation.customer_id else "a visitor"


def _flash(request: HttpRequest, *, ok: bool, detail: str) -> None:
    (messages.success if ok else messages.error)(request, detail)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw or "")
    except ValueError:
        return None
