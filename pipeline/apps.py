from __future__ import annotations

from django.apps import AppConfig


class PipelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipeline"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from orders.models import ExpediteOption, KnowledgeArticle, LoyaltyTier, StorePolicy
        from pipeline.rules.snapshot import bump_knowledge_version

        for model in (KnowledgeArticle, StorePolicy, LoyaltyTier, ExpediteOption):
            post_save.connect(
                bump_knowledge_version, sender=model, dispatch_uid=f"kb-{model.__name__}-save"
            )
            post_delete.connect(
                bump_knowledge_version, sender=model, dispatch_uid=f"kb-{model.__name__}-del"
            )
