from __future__ import annotations

from django.core.management.base import BaseCommand

from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo store (idempotent; dates relative to today) and print the logins."

    def handle(self, *args: object, **options: object) -> None:
        result = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo store ready: {result.customers} customers, {result.orders} orders, "
                f"{result.articles} knowledge-base articles."
            )
        )
        self.stdout.write("\nLogins (admin at /admin/, storefront at /):")
        for login in result.logins:
            self.stdout.write(f"  {login.role:<36} {login.username:<16} {login.password}")
        self.stdout.write(
            "\nThe flagship case, dated for today; paste it into the widget or `manage.py chat`:"
        )
        self.stdout.write(f"  {result.flagship_message}")
