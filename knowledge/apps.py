from __future__ import annotations

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "knowledge"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from knowledge.services import passages_rebuild_on_save
        from orders.models import KnowledgeArticle

        # An article typed or edited in the admin is split again, like an imported one.
        post_save.connect(
            passages_rebuild_on_save, sender=KnowledgeArticle, dispatch_uid="knowledge-passages"
        )
