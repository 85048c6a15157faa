"""The widget's HTTP API: start a conversation, and read its history with the bearer token."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, JsonResponse
from django.http.request import validate_host
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chat.identity import IdentityMalformed, IdentityRefused, identity_customer, identity_parse
from chat.limits import start_throttle_take
from chat.visitors import client_of, visitor_cookie_set, visitor_key
from conversations.selectors import conversation_get, message_frame, messages_after
from conversations.services import conversation_create, conversation_token_valid
from orders.models import Customer


# CSRF-exempt because the widget is embedded on store pages that hold no Django CSRF token.
# That is safe only because a cross-site request never acts as the signed-in user: the session
# customer is bound only for same-origin requests (no Origin header, or one in ALLOWED_HOSTS).
# A foreign page gets the customer only with the store's signature, which it cannot forge.
@csrf_exempt
@require_POST
def conversation_start(request: HttpRequest) -> JsonResponse:
    """Who the customer is, strongest first: signed by the store's site, the signed-in user,
    else an anonymous visitor (shared/protocol.md)."""
    try:
        identity = identity_parse(request.body)
    except IdentityMalformed as exc:
        return JsonResponse({"code": "invalid", "detail": str(exc)}, status=400)
    client = client_of(request)
    hit = start_throttle_take(address_key=client.address_key, visitor_cookie_key=client.cookie_key)
    if hit is not None:
        response = JsonResponse({"code": hit.code, "detail": hit.detail}, status=429)
        response["Retry-After"] = str(hit.retry_after)
        return response
    try:
        customer = identity_customer(identity) if identity else _same_origin_customer(request)
    except IdentityRefused as exc:
        return JsonResponse({"code": exc.code, "detail": exc.detail}, status=403)
    conversation, token = conversation_create(
        customer=customer, visitor_key=visitor_key(customer=customer, client=client)
    )
    response = JsonResponse(
        {"id": str(conversation.pk), "token": token, "ws_url": f"/ws/chat/{conversation.pk}/"},
        status=201,
    )
    visitor_cookie_set(response, client)
    return response


@require_GET
def conversation_messages(request: HttpRequest, conversation_id: str) -> JsonResponse:
    conversation = conversation_get(conversation_id=conversation_id)
    # One answer for "no such conversation" and "wrong token": ids are not probed this way.
    if conversation is None or not conversation_token_valid(
        conversation=conversation, token=_bearer_token(request)
    ):
        response = JsonResponse({"detail": "A valid conversation token is required."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="conversation"'
        return response
    after_seq = _after_seq(request.GET.get("after_seq", "0"))
    if after_seq is None:
        return JsonResponse({"detail": "after_seq must be a whole number >= 0."}, status=400)
    messages = messages_after(conversation_id=conversation.pk, after_seq=after_seq)
    return JsonResponse({"messages": [message_frame(message) for message in messages]})


def _same_origin_customer(request: HttpRequest) -> Customer | None:
    if not request.user.is_authenticated or not _same_origin(request):
        return None
    try:
        return request.user.customer
    except ObjectDoesNotExist:  # staff and agents have no customer record
        return None


def _same_origin(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    host = urlsplit(origin).hostname
    return bool(host) and validate_host(host, settings.ALLOWED_HOSTS)


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _after_seq(raw: str) -> int | None:
    # isdigit() alone accepts "²" and other Unicode digits that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    return int(raw)
