from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/ops/", include("ops.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("chat.urls")),
    path("help/", include("knowledge.urls")),
    path("", include("orders.urls")),
]
