from django.apps import AppConfig


class FakesConfig(AppConfig):
    """Development fakes: the OpenAI-compatible model server (`manage.py fake_llm`) and the
    replies it gives the pipeline's prompts. Used by tests, the bench and local development."""

    name = "fakes"
    verbose_name = "Development fakes"
