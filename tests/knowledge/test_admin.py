from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import KnowledgeArticle

pytestmark = pytest.mark.django_db


def test_staff_upload_help_center_files_from_the_admin(admin_client) -> None:
    url = reverse("admin:knowledge_articlesource_import")
    assert admin_client.get(url).status_code == 200
    upload = SimpleUploadedFile("store-pickup.md", b"# Store pickup\n\nCollect at the desk.")
    response = admin_client.post(url, {"files": [upload], "urls": ""}, follow=True)
    assert "1 created, 0 updated, 0 unchanged, 0 failed." in response.content.decode()
    assert KnowledgeArticle.objects.get(slug="store-pickup").title == "Store pickup"


def test_the_import_form_refuses_what_is_not_a_web_address(admin_client) -> None:
    url = reverse("admin:knowledge_articlesource_import")
    response = admin_client.post(url, {"urls": "file:///etc/passwd"})
    assert "Not an http(s) URL" in response.content.decode()
