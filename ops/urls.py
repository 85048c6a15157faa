"""The ops pages, mounted under /admin/ops/ (before admin/ in support_bot/urls.py) and wrapped in
admin.site.admin_view so they share the admin's login, chrome and CSRF handling."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from ops import views

app_name = "ops"

urlpatterns = [
    path("dashboard/", admin.site.admin_view(views.dashboard), name="dashboard"),
    path("ledger/", admin.site.admin_view(views.ledger), name="ledger"),
]
