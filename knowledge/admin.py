"""The knowledge base in the admin: where each imported article came from, its passages, and an
import page (upload files, or paste URLs or a sitemap's URL)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from knowledge.models import ArticleSource, Passage
from knowledge.services import ImportReport, knowledge_import, knowledge_import_upload

MAX_URLS = 200


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data: object, initial: object = None) -> list[object]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ImportForm(forms.Form):
    files = MultipleFileField(
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".md,.markdown,.html,.htm,.pdf"}),
        help_text="Markdown, HTML or PDF files.",
    )
    urls = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Web pages or sitemaps, one URL a line.",
    )

    def clean_urls(self) -> list[str]:
        urls = [line.strip() for line in self.cleaned_data["urls"].splitlines() if line.strip()]
        if len(urls) > MAX_URLS:
            raise ValidationError(f"At most {MAX_URLS} URLs at a time.")
        bad = [u for u in urls if not u.startswith(("http://", "https://"))]
        if bad:
            raise ValidationError(f"Not an http(s) URL: {bad[0]}")
        return urls


@admin.register(ArticleSource)
class ArticleSourceAdmin(admin.ModelAdmin):
    list_display = ["location", "article", "kind", "imported_at"]
    list_filter = ["kind"]
    search_fields = ["location", "article__title", "article__slug"]
    readonly_fields = [
        "article",
        "location",
        "kind",
        "content_hash",
        "etag",
        "last_modified",
        "imported_at",
    ]
    change_list_template = "admin/knowledge/articlesource/change_list.html"
    actions = ["resync"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sources are made by importing

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="knowledge_articlesource_import"), *super().get_urls()]

    @admin.action(description="Import the selected sources again")
    def resync(self, request: HttpRequest, queryset: object) -> None:
        report = knowledge_import([s.location for s in queryset])
        _tell(request, report, self)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request) or not request.user.has_perm(
            "orders.add_knowledgearticle"
        ):
            return redirect("admin:index")
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = ImportReport()
            for upload in form.cleaned_data["files"]:
                _merge(report, knowledge_import_upload(upload.name, upload.read()))
            if form.cleaned_data["urls"]:
                _merge(report, knowledge_import(form.cleaned_data["urls"]))
            _tell(request, report, self)
            return redirect("admin:knowledge_articlesource_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Import help-center articles",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/knowledge/import.html", context)


def _merge(into: ImportReport, other: ImportReport) -> None:
    for name in ("created", "updated", "unchanged", "failed"):
        getattr(into, name).extend(getattr(other, name))


def _tell(request: HttpRequest, report: ImportReport, model_admin: admin.ModelAdmin) -> None:
    model_admin.message_user(
        request,
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed.",
        messages.SUCCESS if not report.failed else messages.WARNING,
    )
    for location, reason in report.failed[:20]:
        model_admin.message_user(request, f"Skipped {location}: {reason}", messages.ERROR)


@admin.register(Passage)
class PassageAdmin(admin.ModelAdmin):
    """Read-only: passages follow their article (edit the article, or import it again)."""

    list_display = ["title", "heading", "position"]
    list_filter = ["article__category"]
    search_fields = ["title", "heading", "text"]
    readonly_fields = ["article", "position", "title", "keywords", "heading", "text"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Passage | None = None) -> bool:
        return False
