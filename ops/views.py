"""The ops dashboard and cost ledger: admin pages (admin.site chrome and login) that parse the
period, call one selector and shape the charts."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from ops.charts import bar_chart, line_chart
from ops.dashboard import Dashboard, dashboard_get
from ops.ledger import ledger_get
from ops.periods import DAY_CHOICES, Period, period_from_query

DASHBOARD_PERMISSION = "ops.view_dashboard"


def _require_dashboard(request: HttpRequest) -> None:
    # has_perm is True for active superusers; everyone else needs the permission (the Ops
    # group has it, Support agents do not unless granted).
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied


def _page_context(request: HttpRequest, period: Period, title: str) -> dict:
    return {
        **admin.site.each_context(request),
        "title": title,
        "period": period,
        "day_choices": DAY_CHOICES,
        "until": request.GET.get("until", ""),
        "trace_changelist": reverse("admin:pipeline_pipelinetrace_changelist"),
        "period_query": urlencode(
            {
                "created_at__gte": f"{period.start:%Y-%m-%d %H:%M:%S}",
                "created_at__lt": f"{period.end:%Y-%m-%d %H:%M:%S}",
            }
        ),
    }


def _charts(board: Dashboard) -> dict:
    lanes = [
        (row.lane, row.requests, f"{row.requests:,} ({(row.share or 0) * 100:.1f}%)")
        for row in board.traffic.lanes
    ]
    return {
        "lane_chart": bar_chart(lanes, title="Requests per lane"),
        "cost_chart": line_chart(
            [(day, cost) for day, cost, _ in board.daily], title="Model cost per day (USD)"
        ),
        "eval_chart": line_chart(
            [(day, rate * 100) for day, rate in board.evaluation.daily],
            title="Golden-set pass rate per day (%)",
            value_format="{:.0f}%",
        ),
        "retry_chart": bar_chart(
            [(f"{label} retries", n, f"{n:,}") for label, n in board.retries.histogram],
            title="Requests by number of retries",
        ),
    }


@require_GET
def dashboard(request: HttpRequest) -> TemplateResponse:
    _require_dashboard(request)
    period = period_from_query(request.GET)
    board = dashboard_get(period=period)
    context = {**_page_context(request, period, "Ops dashboard"), "board": board, **_charts(board)}
    return TemplateResponse(request, "ops/dashboard.html", context)


@require_GET
def ledger(request: HttpRequest) -> TemplateResponse:
    _require_dashboard(request)
    period = period_from_query(request.GET)
    book = ledger_get(period=period)
    context = {**_page_context(request, period, "Cost ledger"), "ledger": book}
    return TemplateResponse(request, "ops/ledger.html", context)
