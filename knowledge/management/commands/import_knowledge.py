from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from knowledge.services import knowledge_import


class Command(BaseCommand):
    help = (
        "Import help-center articles: Markdown, HTML and PDF files or folders, web pages, sitemaps."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("locations", nargs="+", metavar="PATH_OR_URL")

    def handle(self, *args: object, **options: object) -> None:
        report = knowledge_import(options["locations"])
        for location, reason in report.failed:
            self.stderr.write(f"skipped {location}: {reason}")
        self.stdout.write(
            f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.failed)} failed"
        )
