from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from knowledge.evaluation import choose_threshold, rank_all, read_questions, score
from knowledge.search import RELEVANCE_THRESHOLD, passage_index
from llm.embeddings import get_embedder


class Command(BaseCommand):
    help = (
        "Score the knowledge base on QUESTIONS.csv (columns question,expected; expected is an "
        "article slug or none): recall@1/@3 and MRR, and how often it declines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("questions")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--threshold", type=float, default=RELEVANCE_THRESHOLD)
        parser.add_argument(
            "--choose",
            action="store_true",
            help="also report the best threshold on these questions",
        )
        parser.add_argument("--misses", action="store_true", help="list the questions it got wrong")

    def handle(self, *args: object, **options: object) -> None:
        # Ranked with embeddings too when settings.LLM names an embedding model.
        index = passage_index(embedder=get_embedder())
        ranked = rank_all(read_questions(options["questions"]), index)
        result = score(ranked, options["threshold"]).as_dict()
        if options["choose"]:
            result["suggested_threshold"] = choose_threshold(ranked)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key:>22}: {value}")
        if options["misses"]:
            for r in ranked:
                wrong = r.slugs[:1] != ((r.question.expected,) if r.question.expected else ())
                declined = r.top_relevance < options["threshold"]
                if (r.question.expected and (wrong or declined)) or (
                    not r.question.expected and not declined
                ):
                    self.stdout.write(
                        f"  {r.question.text!r} want {r.question.expected} got {r.slugs[:3]} "
                        f"at {r.top_relevance:.2f}"
                    )
