from __future__ import annotations

import pytest

from pipeline.offline.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where is my order", "en"),
        ("hola, dónde está mi pedido?", "es"),
        ("quiero cancelar mi pedido", "es"),
        ("gracias", "es"),
        ("Bonjour, je n'ai pas reçu ma commande", "fr"),
        ("je veux annuler", "fr"),
        ("Hallo, wo ist mein Paket?", "de"),
        ("ich möchte meine Bestellung stornieren", "de"),
        ("ciao, dove è il mio ordine", "it"),
        ("olá, meu pedido não chegou", "pt"),
    ],
)
def test_the_customers_language_is_recognised(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "ok", "4521", "ORD-4521 ??", "hi gracias", "lol"])
def test_english_when_nothing_points_elsewhere(text: str) -> None:
    assert detect_language(text) == "en"
