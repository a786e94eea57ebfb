"""The channel-neutral engine: a question in, an answer out. Pure: no storage, no network."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from re import Pattern
from typing import Iterable

from bot.knowledge.catalogue import Answer as ShortAnswer
from bot.knowledge.catalogue import Catalogue, Entry, Kind, load_catalogue
from bot.answers.attached import Example, with_attached
from bot.answers.classifier import Classifier, ClassifierSettings
from bot.answers.decision import DecisionSettings, decide, family_question
from bot.answers.intents import GENERAL, answer_classifier, intent_classifier
from bot.answers.language import LanguageDetector
from bot.answers.matcher import Document, Match, Matcher, MatchKind
from bot.answers.weights_cache import WeightsCache
from bot.answers.referrals import ReferralFinder
from bot.answers.specific import AnswerFinder
from bot.answers.replies import Composer, Reply, Section
from bot.answers.plain import to_plain
from bot.answers.replies import Block, Style
from bot.answers.text import MAX_ANALYSED_CHARS, fold, phrase_pattern, resource_lines, words
from bot.texts import Texts

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "knowledge"
# Emoji that acknowledge (👍, 🙏, 👌, ❤️, 😊 …): a message of only these is a thank-you or an "ok", not a question.
_ACK_EMOJI = set("👍🙏👌❤♥😊🙂😀😃😁☺🤝👏✅💯🥰😍🫶")
_ASPECT_SECTIONS = {"FEE": Section.FEES, "DEADLINE": Section.FEES, "DOCS": Section.REQUIREMENTS}


def aspect_section(aspects: Iterable[str]) -> Section | None:
    """The section a question's aspects ask for first ("how much?" the fees, "what do I bring?" the documents)."""
    asked = set(aspects)
    return next((_ASPECT_SECTIONS[a] for a in ("FEE", "DOCS", "DEADLINE") if a in asked), None)
# "do I need an appointment for the canje?": the entry's appointment badge answers first
_ASKS_APPOINTMENT = phrase_pattern(["cita", "citas", "agendar", "agendo", "appointment", "appointments", "book",
                                    "booking"])


def small_talk_table() -> dict[str, str]:
    """Folded whole messages that are small talk, and their category (bot/resources/smalltalk.txt)."""
    table = {}
    for line in resource_lines("smalltalk.txt"):
        category, _, phrase = line.partition("\t")
        table[fold(phrase)] = category
    return table


def small_talk(text: str, table: dict[str, str]) -> str | None:
    """"thanks", "bye", "ok" or "hello" when the whole message is small talk, else None.

    Punctuation, emoji and repeated letters do not count ("gracias!! 🙏", "thanksss"); a message made only of
    small-talk phrases is small talk too ("gracias!! muy amable", "ok thanks, bye"): a goodbye wins, then thanks,
    then "ok"; greetings alone are "hello".
    """
    if not any(ch.isalpha() for ch in text):
        symbols = {ch for ch in text if not ch.isspace() and ch not in "\ufe0f\u200d"}
        return "ok" if symbols and symbols <= _ACK_EMOJI else None
    if len(text) > 60:
        return None
    tokens = _squeeze(fold(text)).split()
    found = _segments(tokens, {_squeeze(k): v for k, v in table.items()}) if tokens else None
    if not found:
        return None
    return next((c for c in ("bye", "thanks", "ok", "hello") if c in found), None)


def _squeeze(folded: str) -> str:
    """Letters repeated twice at the end of a word count once ("graciass", "thankss"; fold squeezes 3 or more)."""
    return " ".join(w[:-1] if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lo" else w for w in folded.split())


def _segments(tokens: list[str], table: dict[str, str]) -> set[str] | None:
    """The categories of small-talk phrases that cover all the tokens, in order (longest phrase first), else None."""
    if not tokens:
        return set()
    for end in range(min(len(tokens), 6), 0, -1):
        category = table.get(" ".join(tokens[:end]))
        if category is not None:
            rest = _segments(tokens[end:], table)
            if rest is not None:
                return {category, *rest}
    return None


GENERAL_TOPICS = ("oficinas", "citas", "contacto")
FOLLOW_UP_ASPECT_ANSWER = 0.8   # a follow-up asking a section (fee, documents) gets a short answer only this sure
PROCEDURE_OVER_TOPIC = 0.8    # a procedure within this share of a general topic's ranking score answers instead


def topic_markers() -> dict[str, Pattern[str]]:
    """Per general topic, the words one of which its questions name (bot/resources/topic_markers.txt)."""
    found = {}
    for line in resource_lines("topic_markers.txt"):
        topic, _, words = line.partition(":")
        pattern = phrase_pattern(words.split(","))
        if pattern is not None:
            found[topic.strip()] = pattern
    return found

class AnswerKind:
    PROCEDURE = "procedure"
    TOPIC = "topic"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    kind: str
    intent: str | None
    candidates: tuple[str, ...]
    confidence: float
    appointment: str | None
    reply: Reply
    unanswered: bool = False  # the bot fell back: staff review these (`python -m bot unanswered`)
    referral: str | None = None  # another authority handles it: the referral entry's id (kind stays "none")
    # what picked the answer, for staff: "classifier: 0.93" (its probability; "0.48 / 0.41" for a choice of two),
    # "phrase: <keyword>" (lexical matcher or referral), "example: <question>" (asked word for word as an entry's
    # example), "answer: <phrasing>" (a specific question's answer), "anchor:", "abroad:", "procedure over topic:"
    decided_by: str | None = None
    short_answer: str | None = None  # "<entry>.<answer id>" when a short answer (an entry's `answers:`) led the reply

    def as_json(self) -> dict:
        """The stable `python -m bot ask --json` record."""
        return {"question": self.question, "language": self.language, "intent": self.intent, "kind": self.kind,
                "candidates": list(self.candidates), "confidence": self.confidence,
                "appointment": self.appointment, "reply": to_plain(self.reply), "referral": self.referral,
                "decided_by": self.decided_by, "short_answer": self.short_answer}


def documents(catalogue: Catalogue) -> list[Document]:
    """What the matcher indexes: each entry's names and keywords, per language."""
    return [Document(e.id, {lang: (e.name.get(lang), *e.keywords[lang], *e.attached.get(lang, ()))
                            for lang in ("es", "en")})
            for e in catalogue.entries.values() if e.kind is not Kind.REFERRAL]


class Engine:
    """Answers questions from a catalogue; the intent classifier decides, the lexical matcher helps (`lexical`).

    `data_dir` is where trained classifier weights are cached (DATA_DIR); None trains in memory when the knowledge
    changed since this process last trained. `lexical=False` leaves the lexical matcher's entry choice out of every
    decision (its analysis still finds "how much?"-style aspects and place names), for benchmarks.
    `attached` are the questions staff attached (plain values bot/app.py reads from the database): they join the
    catalogue (bot/answers/attached.py) and so the classifier's training data; `use_attached` swaps them.
    """

    def __init__(self, catalogue: Catalogue, texts: Texts | None = None, *, data_dir: Path | str | None = None,
                 lexical: bool = True, decision: DecisionSettings | None = None,
                 classifier_settings: ClassifierSettings | None = None, attached: Iterable[Example] = ()):
        self.texts = texts or Texts.load()
        self.lexical = lexical
        self.decision = decision or DecisionSettings()
        self.classifier_settings = classifier_settings or ClassifierSettings()
        self.cache = WeightsCache(Path(data_dir) if data_dir is not None else None)
        self._build(catalogue, tuple(attached))

    def reload(self, knowledge_dir: Path | str, attached: Iterable[Example] | None = None) -> None:
        """Re-read the knowledge and switch to it at once; raises KnowledgeError (and keeps the running one).
        `attached` replaces the attached examples; None keeps the current ones."""
        self._build(load_catalogue(Path(knowledge_dir)), self.attached if attached is None else tuple(attached))

    def use_attached(self, attached: Iterable[Example]) -> None:
        """Learn these attached examples instead of the current ones (same knowledge), then switch; the running
        classifier answers until the new one is trained. Raises KnowledgeError (TrainingError) and keeps it."""
        self._build(self.knowledge, tuple(attached))

    def _build(self, knowledge: Catalogue, attached: tuple[Example, ...] = ()) -> None:
        catalogue = with_attached(knowledge, attached)
        intents = intent_classifier(catalogue, self.cache, self.classifier_settings)  # before anything changes
        self.knowledge = knowledge      # as read from the YAML, without the attached examples
        self.attached = attached
        self.catalogue = catalogue
        self.intents = intents
        self.matcher = Matcher(documents(catalogue))
        self.known_examples = {fold(q): (e.id, q) for e in catalogue.entries.values() for lang in ("es", "en")
                               for q in e.examples.get(lang, ()) if fold(q)}  # asked word for word: that entry
        self._referral_ids = frozenset(e.id for e in catalogue.referrals())
        vocabulary = {lang: {w for e in catalogue.entries.values()
                             for phrase in (e.name.get(lang), *e.keywords[lang]) for w in words(phrase)}
                      for lang in ("es", "en")}
        self.detector = LanguageDetector(vocabulary)
        self.composer = Composer(catalogue, self.texts)
        self.small_talk = small_talk_table()
        self.referrals = ReferralFinder(catalogue)
        self._topic_markers = topic_markers()
        self.answers = AnswerFinder(catalogue)   # word phrases: most of an `ask:` phrasing's words, in the entry
        self._answer_classifiers: dict[str, Classifier | None] = {}

    def answer_classifier(self, entry_id: str) -> Classifier | None:
        """A classifier over the entry's `answers:` (which short answer a question asks) and "general"; None when
        the entry has none. Trained on first use, cached like the intent classifier (DATA_DIR, then this engine)."""
        if entry_id not in self._answer_classifiers:
            self._answer_classifiers[entry_id] = answer_classifier(self.catalogue, entry_id, self.cache,
                                                                   self.classifier_settings)
        return self._answer_classifiers[entry_id]

    def short_answer(self, text: str, entry_id: str | None) -> tuple[ShortAnswer, float] | None:
        """The entry's short answer this question asks, and the answer classifier's probability, when that is at
        least `decision.short_answer`; None for the entry in general (or an entry without `answers:`)."""
        entry = self.catalogue.entries.get(entry_id or "")
        if entry is None or not entry.answers:
            return None
        if entry.window is not None and any(ch.isdigit() for ch in text):
            return None   # "my card expired on 1 November": the user's own date and window answer, not a short answer
        asked = next((a for a in entry.answers for lang in ("es", "en") for q in a.asks.get(lang, ())
                      if fold(q) == fold(text)), None)
        if asked is not None:  # one of its `ask:` phrasings word for word: that answer, like an entry's example
            return asked, 1.0
        prediction = self.answer_classifier(entry.id).predict(text)
        if prediction.label == GENERAL or prediction.probability < self.decision.short_answer:
            phrase = self.answers.find(text, None)   # the question holds every word of one of its phrasings
            return (phrase.answer, 1.0) if phrase is not None and phrase.entry_id == entry.id else None
        return entry.answers[int(prediction.label.partition(":")[2])], prediction.probability

    @classmethod
    def from_directory(cls, knowledge_dir: Path | str = DEFAULT_KNOWLEDGE_DIR, *, data_dir: Path | str | None = None,
                       lexical: bool = True) -> "Engine":
        return cls(load_catalogue(Path(knowledge_dir)), data_dir=data_dir, lexical=lexical)

    def detect_language(self, text: str, previous: str | None = None) -> str:
        return self.detector.detect(text, previous).language

    def answer(self, text: str, *, previous_language: str | None = None, language: str | None = None,
               last_entry: str | None = None, full: bool = True, numbered: bool = False) -> Answer:
        """Answer `text`; `last_entry` lets "how much is it?" follow up on the previous answer."""
        text = text if isinstance(text, str) else ""
        answer = self._answer_text(text, previous_language, language, last_entry, full, numbered)
        if len(text) > MAX_ANALYSED_CHARS:  # say so rather than silently answering only the opening
            note = Block(Style.NOTE, (self.texts(answer.language, "long.note"),))
            reply = Reply((note, *answer.reply.blocks), answer.reply.buttons, answer.reply.language)
            answer = dataclasses.replace(answer, reply=reply)
        return answer

    def _answer_text(self, text: str, previous_language: str | None, language: str | None,
                     last_entry: str | None, full: bool, numbered: bool) -> Answer:
        lang = language or self.detect_language(text, previous_language)
        chat = small_talk(text, self.small_talk)
        if chat == "hello":  # "hola!! buenas tardes": the greeting, as for a message with no words we know
            return self._answer(text, lang, AnswerKind.NONE, None, (), 0.0, self.composer.simple(
                lang, "greeting.body", buttons=self.composer.menu_buttons(lang)))
        if chat is not None:  # thanks, bye, ok, 👍: a short polite reply, never "I can't help with that"
            return self._answer(text, lang, AnswerKind.NONE, None, (), 1.0,
                                self.composer.simple(lang, f"smalltalk.{chat}"))
        if not any(ch.isalpha() for ch in text):
            return self._answer(text, lang, AnswerKind.NONE, None, (), 0.0,
                                self.composer.simple(lang, "empty.body"))
        match, decided_by, referral_id = self._decide(text, self.matcher.match(text))
        match, decided_by = self._procedure_over_topic(match, decided_by)
        if match.kind is MatchKind.ENTRY and not self._names_topic(match.entry_id, text):
            match = dataclasses.replace(match, kind=MatchKind.NONE, entry_id=None)   # "horario del tianguis"
        if referral_id is not None:  # the model is sure another authority handles it
            return self._referral_answer(text, lang, referral_id, match.confidence, full, decided_by)
        abroad = self.referrals.abroad_matter(text) if fold(text) not in self.known_examples else None
        if abroad is not None:  # "visa de trabajo en Alemania": that country's embassy, not INM
            return dataclasses.replace(self._answer(text, lang, AnswerKind.NONE, None, (), match.confidence,
                                                    self.composer.simple(lang, "abroad.body", country=abroad,
                                                                         buttons=self.composer.menu_buttons(lang))),
                                       decided_by=f"abroad: {abroad}")
        anchored = self.referrals.anchored(text) if fold(text) not in self.known_examples else None
        if anchored is not None:  # "la CURP de mi hijo", "RFC para facturar": that authority, whatever else matched
            return self._referral_answer(text, lang, anchored[0], match.confidence, full, f"anchor: {anchored[1]}")
        asks_aspect = any(a in match.aspects for a in ("FEE", "DOCS", "DEADLINE"))
        if match.kind is MatchKind.NONE and match.has_words and last_entry in self.catalogue.entries:
            found = self.short_answer(text, last_entry)  # "apostille?" after an entry: that entry's short answer
            # "what do I bring for it?" asks the section: a short answer leads only when it is clearly the one asked
            if found is not None and (not asks_aspect or found[1] >= FOLLOW_UP_ASPECT_ANSWER):
                return self._short_answer(text, lang, self.catalogue.get(last_entry), match, found, full)
        if match.kind is not MatchKind.ENTRY:  # "do siblings count for family unity?": all of a phrasing's words
            phrase = self.answers.find(text, last_entry)
            if phrase is not None:
                return self._short_answer(text, lang, self.catalogue.get(phrase.entry_id), match,
                                          (phrase.answer, 1.0), full)
        if match.kind is MatchKind.NONE and not match.has_words:
            return self._answer(text, lang, AnswerKind.NONE, None, (), 0.0, self.composer.simple(
                lang, "greeting.body", buttons=self.composer.menu_buttons(lang)))
        lead = aspect_section(match.aspects)
        if match.kind is MatchKind.NONE and lead and last_entry in self.catalogue.entries:
            entry = self.catalogue.get(last_entry)
            return self._entry_answer(text, lang, entry, match, self.composer.section(entry, lead, lang))
        if (match.kind is MatchKind.NONE and last_entry in self.catalogue.entries and "oficinas" in self.catalogue.entries
                and self._only_a_place(text)):  # "and in Chapala?": that office, for the procedure under discussion
            entry, offices = self.catalogue.get(last_entry), self.catalogue.get("oficinas")
            reply = self.composer.entry(offices, lang, full=full)
            about = Block(Style.SUBTITLE, (self.texts(lang, "followup.which_entry", name=entry.name.get(lang)),))
            return self._entry_answer(text, lang, offices, match, Reply((about, *reply.blocks), reply.buttons, lang))
        if match.kind is MatchKind.NONE and lead:  # "how much is it?" with nothing before: ask which procedure
            return self._answer(text, lang, AnswerKind.NONE, None, (), match.confidence, self.composer.simple(
                lang, "followup.which_procedure", buttons=self.composer.menu_buttons(lang)))
        if match.kind is MatchKind.AMBIGUOUS:
            question = family_question(match.candidates)  # the fact that decides, when the family is known
            return dataclasses.replace(self._answer(
                text, lang, AnswerKind.AMBIGUOUS, None, match.candidates, match.confidence,
                self.composer.ambiguous(match.candidates, lang, numbered=numbered, question=question)),
                decided_by=decided_by)
        if match.kind is MatchKind.NONE:
            referral = self.referrals.find(text) if self.lexical else None
            if referral is not None:  # another authority's own words: say which, never guess an INM procedure
                return self._referral_answer(text, lang, referral[0], match.confidence, full,
                                             f"phrase: {referral[1]}")
            return dataclasses.replace(self._answer(text, lang, AnswerKind.NONE, None, (), match.confidence,
                                                    self.composer.fallback(lang), unanswered=True),
                                       decided_by=decided_by)
        entry = self.catalogue.get(match.entry_id)
        found = self.short_answer(text, entry.id)
        if found is not None:  # "married 8 months, can I get permanent?": that answer first, not the whole entry
            return self._short_answer(text, lang, entry, match, found, full)
        first_appointment = lead is None and _ASKS_APPOINTMENT is not None \
            and _ASKS_APPOINTMENT.search(f" {fold(text)} ") is not None
        return dataclasses.replace(self._entry_answer(text, lang, entry, match, self.composer.entry(
            entry, lang, full=full, lead=lead, appointment_first=first_appointment)), decided_by=decided_by)

    def _short_answer(self, text: str, lang: str, entry: Entry, match: Match, found: tuple[ShortAnswer, float],
                      full: bool) -> Answer:
        """The short answer first, then the way to the rest of the entry (the whole entry with `full`)."""
        short, probability = found
        answer = self._entry_answer(text, lang, entry, match, self.composer.specific(entry, short, lang, full=full))
        appointment = short.appointment.value if short.appointment is not None else answer.appointment
        return dataclasses.replace(answer, appointment=appointment, short_answer=f"{entry.id}.{short.id}",
                                   decided_by=f"answer: {short.id} {probability:.2f}")

    def _decide(self, text: str, lexical: Match) -> tuple[Match, str | None, str | None]:
        """The classifier's decision as a Match: (match, what decided, referral id or None).

        A question asked word for word as an entry's example gets that entry. A message whose only known words are
        aspects ("how much is it?") names no entry: the follow-ups answer it (see _answer_text). Otherwise the
        intent classifier decides (decision.decide); when it claims nothing and `lexical` is on, the lexical matcher
        may still answer: a keyword phrase of an entry the classifier gives some probability to (a typo it corrected,
        an exact phrase), or the choice between two entries its phrases fit equally.
        """
        known = self.known_examples.get(fold(text))
        if known is not None:
            entry_id, question = known
            if entry_id in self._referral_ids:
                return lexical, f"example: {question}", entry_id
            return (Match(MatchKind.ENTRY, entry_id, (entry_id,), 1.0, lexical.aspects, ranked=lexical.ranked),
                    f"example: {question}", None)
        if lexical.only_aspects or not lexical.has_words:
            return lexical, None, None
        decision = decide(self.intents.predict(text), self._referral_ids, self.decision, text)
        ranked = decision.ranked
        kind = {"entry": MatchKind.ENTRY, "ambiguous": MatchKind.AMBIGUOUS}.get(decision.kind, MatchKind.NONE)
        decided = Match(kind, decision.labels[0] if kind is MatchKind.ENTRY else None,
                        decision.labels if kind is MatchKind.AMBIGUOUS else tuple(e for e, _ in ranked[:3]),
                        round(decision.probability, 3), lexical.aspects, has_words=lexical.has_words, ranked=ranked,
                        phrases=lexical.phrases)
        if decision.kind == "referral":
            return decided, decision.decided_by, decision.labels[0]
        if kind is not MatchKind.NONE or not self.lexical:
            return decided, decision.decided_by, None
        probability = dict(ranked)
        if decision.none >= self.decision.lexical_none_max:
            return decided, decision.decided_by, None
        if (lexical.kind is MatchKind.ENTRY
                and probability.get(lexical.entry_id, 0.0) >= self.decision.lexical_floor):
            return lexical, f"phrase: {lexical.phrase}" if lexical.phrase else None, None
        if (lexical.kind is MatchKind.AMBIGUOUS
                and sum(probability.get(e, 0.0) for e in lexical.candidates[:2]) >= self.decision.lexical_floor):
            return lexical, "phrases: " + " / ".join(lexical.candidates[:2]), None
        return decided, decision.decided_by, None

    def _names_topic(self, entry_id: str | None, text: str) -> bool:
        """A general topic needs one of its own words in the question (bot/resources/topic_markers.txt)."""
        pattern = self._topic_markers.get(entry_id or "")
        return pattern is None or pattern.search(f" {fold(text)} ") is not None

    def _procedure_over_topic(self, match: Match, decided_by: str | None) -> tuple[Match, str | None]:
        """"We moved to Guadalajara, do I tell INM the new address?" names an office but asks about a procedure:
        when a general topic (offices, appointments, contact) only just beats a procedure, the procedure answers."""
        if match.kind is not MatchKind.ENTRY or match.entry_id not in GENERAL_TOPICS or len(match.ranked) < 2:
            return match, decided_by
        (_, top), (runner, score) = match.ranked[0], match.ranked[1]
        entry = self.catalogue.entries.get(runner)
        if entry is None or entry.kind is not Kind.PROCEDURE or score < PROCEDURE_OVER_TOPIC * top:
            return match, decided_by
        candidates = (runner, *(e for e in match.candidates if e != runner))
        return dataclasses.replace(match, entry_id=runner, candidates=candidates), f"procedure over topic: {runner}"

    def _referral_answer(self, text: str, lang: str, referral_id: str, confidence: float, full: bool,
                         decided_by: str | None) -> Answer:
        entry = self.catalogue.get(referral_id)
        return dataclasses.replace(self._answer(text, lang, AnswerKind.NONE, None, (), confidence,
                                                self.composer.entry(entry, lang, full=full)),
                                   referral=entry.id, decided_by=decided_by)

    def _only_a_place(self, text: str) -> bool:
        tokens = [t for t in self.matcher.analyzer.tokens(text) if t != "OFFTOPIC"]
        return bool(tokens) and all(t == "CITY" for t in tokens)

    def _entry_answer(self, text: str, lang: str, entry: Entry, match: Match, reply: Reply) -> Answer:
        kind = AnswerKind.PROCEDURE if entry.kind is Kind.PROCEDURE else AnswerKind.TOPIC
        appointment = entry.appointment.value if entry.appointment else None
        return self._answer(text, lang, kind, entry.id, (entry.id, *(c for c in match.candidates if c != entry.id)),
                            max(match.confidence, 0.0), reply, appointment)

    @staticmethod
    def _answer(text: str, lang: str, kind: str, intent: str | None, candidates: tuple[str, ...],
                confidence: float, reply: Reply, appointment: str | None = None, *, unanswered: bool = False) -> Answer:
        return Answer(text, lang, kind, intent, candidates, round(float(confidence), 3), appointment, reply,
                      unanswered)
