"""The demo storefront: a small shop page that carries the chat widget."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from orders.models import Customer, Product
from orders.selectors import orders_with_history_for_customer


def _signed_in_customer(request: HttpRequest) -> Customer | None:
    if not request.user.is_authenticated:
        return None
    return Customer.objects.select_related("tier").filter(user=request.user).first()


@require_GET
def storefront(request: HttpRequest) -> HttpResponse:
    customer = _signed_in_customer(request)
    context = {
        "products": Product.objects.order_by("-stock", "name")[:8],
        "customer": customer,
        # Each with what was done on it (the action log): the customer sees what they were told.
        "orders": (
            orders_with_history_for_customer(customer_id=customer.pk, limit=5) if customer else []
        ),
        "demo_customers": (
            Customer.objects.filter(user__isnull=False)
            .select_related("tier")
            .order_by("-tier__rank", "name")
            if settings.DEMO_SIGN_IN
            else []
        ),
    }
    return render(request, "store/storefront.html", context)


@require_POST
def demo_sign_in(request: HttpRequest) -> HttpResponse:
    """One-click sign-in as a demo customer: for the demo only, off unless DEMO_SIGN_IN is set."""
    if not settings.DEMO_SIGN_IN:
        raise Http404
    customer = (
        Customer.objects.select_related("user")
        .filter(pk=request.POST.get("customer"), user__isnull=False, user__is_staff=False)
        .first()
    )
    if customer is None:
        raise Http404
    login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("store:storefront")


@require_POST
def demo_sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("store:storefront")
