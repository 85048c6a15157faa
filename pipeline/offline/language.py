"""The customer's language (ISO 639-1), from the words they use; "en" when unsure.

A hand-written scorer rather than a library: chat messages are a few words long, where
n-gram detectors (langid, py3langid, langdetect) guess wildly ("ok gracias" or "where is my
paquete") and lingua, the accurate one, ships ~100 MB of models for one decision per message.
Function words, shop words and greetings of each language, plus its accented letters, are
enough to tell en, es, fr, de, it and pt apart offline, and deterministic.
"""

from __future__ import annotations

import re
import unicodedata


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        "the a an is are was my your i you it to of and in on for with not where when how what "
        "why can could would please pls thanks thank order package refund hi hello hey yes no "
        "this that have has do does did get want need me we our still yet"
    ),
    "es": _word_set(
        "el la los las un una es son está estan esta mi mis tu su de del y en con por para que "
        "qué donde dónde cuando cuándo cómo como pedido paquete reembolso hola gracias sí no "
        "quiero necesito puedo tengo todavía aún pero muy buenos buenas días dias señor favor "
        "compra envío envio llegado llega yo me lo"
    ),
    "fr": _word_set(
        "le la les un une est sont mon ma mes ton votre vos de du des et en avec pour que qui "
        "où ou quand comment commande colis remboursement bonjour salut merci oui non je veux "
        "voudrais besoin peux pas ne toujours encore mais très livraison reçu arrivé suis "
        "ai il elle nous vous c'est j'ai"
    ),
    "de": _word_set(
        "der die das ein eine ist sind mein meine dein ihr ihre von und in mit für fur dass wo "
        "wann wie was bestellung paket rückerstattung hallo danke ja nein ich will möchte "
        "brauche kann nicht noch aber sehr lieferung bekommen angekommen bin habe es sie wir "
        "guten tag bitte zurück"
    ),
    "it": _word_set(
        "il lo la gli le un una è sono mio mia di del e con per che dove quando come ordine "
        "pacco rimborso ciao grazie sì voglio posso non ancora ma molto consegna buongiorno "
        "arrivato ho"
    ),
    "pt": _word_set(
        "o a os as um uma é são meu minha de do da e em com por para que onde quando como "
        "pedido pacote reembolso olá oi obrigado obrigada sim não quero preciso posso ainda "
        "mas muito entrega chegou bom dia tenho"
    ),
}
# Letters only one or two of the languages use.
_LETTERS: dict[str, str] = {"es": "ñ¿¡", "fr": "çœèêàù", "de": "äöüß", "pt": "ãõç", "it": "ì"}
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Below this margin over the runner-up the message is too short or mixed to call.
_MIN_LEAD = 1.0


LANGUAGES: tuple[str, ...] = tuple(_WORDS)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the message's language; "en" when nothing points elsewhere."""
    return read_language(text) or "en"


def read_language(text: str) -> str | None:
    """The message's language when its words say so clearly; None for "ok", an order number, or
    a mix too even to call. A conversation keeps its language through such messages."""
    lowered = unicodedata.normalize("NFC", text.lower())
    scores = {lang: _score(lang, lowered) for lang in _WORDS}
    ranked = sorted(scores.items(), key=lambda pair: -pair[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    return best if top - second >= _MIN_LEAD else None


def _score(lang: str, lowered: str) -> float:
    words = _WORD_RE.findall(lowered)
    hits = sum(word in _WORDS[lang] for word in words)
    letters = sum(lowered.count(c) for c in _LETTERS.get(lang, ""))
    return hits + 1.5 * min(letters, 2)
