from __future__ import annotations

from django.urls import path

from orders import views

app_name = "store"
urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("demo/sign-in/", views.demo_sign_in, name="demo_sign_in"),
    path("demo/sign-out/", views.demo_sign_out, name="demo_sign_out"),
]
