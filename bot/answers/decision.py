"""How the intent classifier's probabilities become a decision: claim an entry, ask "which one?", or claim nothing.

Kept apart from the engine so the thresholds can be tuned (bench/tune_classifier.py) without retraining, and so the
known ambiguous families, whose deciding fact users often leave out, are listed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from re import Pattern

from bot.answers.classifier import Prediction
from bot.answers.intents import NONE
from bot.answers.text import fold, phrase_pattern, resource_lines

@dataclass(frozen=True)
class Family:
    """Two procedures one fact tells apart (the spouse's status, whether the stay is still valid...)."""

    name: str
    members: frozenset[str]
    stated: Pattern[str] | None     # words that state the deciding fact, searched in " folded text "

    @property
    def question(self) -> str:
        """The locale key of the question that asks the fact."""
        return f"ambiguous.family.{self.name}"

    def states_fact(self, text: str) -> bool:
        return self.stated is not None and self.stated.search(f" {fold(text)} ") is not None


def load_families(name: str = "family_facts.txt") -> dict[frozenset[str], Family]:
    """The known families (bot/resources/family_facts.txt), by their two entry ids."""
    found = {}
    for line in resource_lines(name):
        family, members, facts = (part.strip() for part in line.split(":", 2))
        pair = frozenset(members.split())
        found[pair] = Family(family, pair, phrase_pattern(facts.split(","), prefix=True))
    return found


FAMILIES = load_families()


def family_question(entry_ids: tuple[str, ...]) -> str | None:
    """The locale key of the question that decides between two entries of a known family, else None."""
    family = FAMILIES.get(frozenset(entry_ids[:2])) if len(entry_ids) >= 2 else None
    return family.question if family else None


@dataclass(frozen=True)
class DecisionSettings:
    """Chosen on tests/data/*.tsv and bench/data/questions_blind2-6.tsv (bench/tune_classifier.py)."""

    threshold: float = 0.55       # probability an entry needs before the engine claims it
    margin: float = 0.03          # the top two entries this close (and together above threshold) -> "which one?"
    family_share: float = 0.40    # in a known family, the second this likely (the two above threshold) -> ask
    family_floor: float = 0.04    # ... or this likely when the question states no deciding fact (family_facts.txt)
    lexical_floor: float = 0.20   # a lexical keyword-phrase match is taken when the classifier gives it this much
    lexical_none_max: float = 0.40  # ... and gives NONE less than this (never against a clear "not ours")
    # a short answer (an entry's `answers:`) is given when its answer classifier is this sure; chosen on the
    # held-out tests/data/short_answers_check.tsv (bench/tune_short_answers.py)
    short_answer: float = 0.50


@dataclass(frozen=True)
class Decision:
    """What the classifier decided: `kind` is "entry", "ambiguous", "referral" or "none"."""

    kind: str
    labels: tuple[str, ...]       # the entry (or referral) decided, or the two to choose from
    probability: float            # of the (first) label; with none, of the likeliest entry (how close it came)
    ranked: tuple[tuple[str, float], ...]   # every entry by probability (NONE left out)
    none: float = 0.0             # the probability of NONE

    @property
    def decided_by(self) -> str:
        probs = dict(self.ranked)
        return "classifier: " + " / ".join(f"{probs.get(label, 0.0):.2f}" for label in self.labels) \
            if self.labels else f"classifier: none {self.none:.2f}"


def decide(prediction: Prediction, referrals: frozenset[str], settings: DecisionSettings, text: str = "") -> Decision:
    """Claim the top entry above the threshold, or ask "which one?": when the top two are close, or when the top
    entry's family partner is close behind, or has some probability and `text` states nothing that decides."""
    ranked = tuple((label, p) for label, p in prediction.ranked if label != NONE)
    none = prediction.of(NONE)
    if not ranked:
        return Decision("none", (), 0.0, ranked, none)
    probability = dict(ranked)
    (top, p1), (second, p2) = ranked[0], ranked[1] if len(ranked) > 1 else ("", 0.0)
    if second and top not in referrals and second not in referrals and p1 - p2 <= settings.margin \
            and p1 + p2 >= settings.threshold:
        return Decision("ambiguous", (top, second), p1, ranked, none)
    for family in FAMILIES.values():
        if top not in family.members:
            continue
        partner = next(iter(family.members - {top}))
        p = probability.get(partner, 0.0)
        if p1 + p >= settings.threshold and (
                p >= settings.family_share or (p >= settings.family_floor and not family.states_fact(text))):
            return Decision("ambiguous", (top, partner), p1, ranked, none)
    if p1 >= settings.threshold:
        return Decision("referral" if top in referrals else "entry", (top,), p1, ranked, none)
    return Decision("none", (), p1, ranked, none)
