"""What the classifiers learn from the knowledge: which entry a question is for, and which short answer it asks.

The intent classifier's classes are the entry ids (procedures, topics and referrals alike) and NONE, learned from
each entry's names, keywords and `examples:` (staff-attached questions included) and from knowledge/out_of_scope.yaml.
An answer classifier tells, within one entry, which of its `answers:` a question asks (from their `ask:` phrasings)
or GENERAL, the entry as a whole (from the entry's own names and keywords; not its examples, real questions that
often ask one of those very specifics: "how many days ahead do I ask for the exit permit?").
"""

from __future__ import annotations

from bot.answers.classifier import Classifier, ClassifierSettings
from bot.answers.text import fold
from bot.answers.weights_cache import WeightsCache
from bot.knowledge.catalogue import Catalogue, Entry
from bot.languages import LANGUAGES

NONE = "none"        # the intent classifier's out-of-scope class
GENERAL = "general"  # an answer classifier's class for "the entry in general, no specific answer"


def intent_samples(catalogue: Catalogue) -> tuple[list[str], list[str]]:
    """(texts, labels): every entry's names, keywords and examples under its id; out-of-scope lines under NONE."""
    texts, labels = [], []
    for entry in catalogue.entries.values():
        for text in _entry_texts(entry):
            texts.append(text)
            labels.append(entry.id)
    for lang in LANGUAGES:
        for line in catalogue.out_of_scope.get(lang, ()):
            if fold(line):
                texts.append(line)
                labels.append(NONE)
    return texts, labels


def answer_label(index: int) -> str:
    """The class of an entry's `answers[index]`."""
    return f"answer:{index}"


def answer_samples(entry: Entry) -> tuple[list[str], list[str]]:
    """(texts, labels): each of the entry's answers' `ask:` phrasings under answer_label(i); the rest under GENERAL."""
    texts, labels = [], []
    for index, answer in enumerate(entry.answers):
        for lang in LANGUAGES:
            for phrasing in answer.asks.get(lang, ()):
                if fold(phrasing):
                    texts.append(phrasing)
                    labels.append(answer_label(index))
    for text in _entry_texts(entry, examples=False):
        texts.append(text)
        labels.append(GENERAL)
    return texts, labels


def _entry_texts(entry: Entry, *, examples: bool = True) -> list[str]:
    return [text for lang in LANGUAGES
            for text in (entry.name.get(lang), *entry.keywords.get(lang, ()),
                         *(entry.examples.get(lang, ()) if examples else ()))
            if fold(text)]


def intent_classifier(catalogue: Catalogue, cache: WeightsCache,
                      settings: ClassifierSettings | None = None) -> Classifier:
    """The classifier over entry ids and NONE (trained only when the knowledge changed)."""
    texts, labels = intent_samples(catalogue)
    return Classifier(cache.weights("intents", texts, labels, settings or ClassifierSettings()))


def answer_classifier(catalogue: Catalogue, entry_id: str, cache: WeightsCache,
                      settings: ClassifierSettings | None = None) -> Classifier | None:
    """A small classifier over one entry's short answers and GENERAL; None when the entry has no `answers:`."""
    entry = catalogue.get(entry_id)
    if not entry.answers:
        return None
    texts, labels = answer_samples(entry)
    return Classifier(cache.weights(f"answers_{entry.id}", texts, labels, settings or ClassifierSettings()))
