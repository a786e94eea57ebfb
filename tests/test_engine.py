"""What a user reads: the answer's content, its honesty about uncertain facts, and bad input handled."""

from __future__ import annotations

import pytest

from bot.knowledge.catalogue import is_placeholder
from bot.answers.engine import AnswerKind
from bot.channels.telegram.render import html_chunks
from bot.answers.plain import to_plain


def test_canje_in_english_gives_everything_a_newcomer_needs(engine):
    answer = engine.answer("do I need an appointment for the canje?")
    text = to_plain(answer.reply)
    assert (answer.kind, answer.intent, answer.language, answer.appointment) == \
        ("procedure", "canje", "en", "required")
    assert "Exchange of your resident visa for the resident card (canje)" in text
    assert "Official name: Expedición de documento migratorio por canje" in text
    assert "Needs an appointment in INM's online system" in text
    assert "within 30 calendar days of entering Mexico" in text
    assert "Temporary resident card, 1 year: $11,141 MXN (2026)" in text
    assert "Trámites Migratorios" in text and "inm.gob.mx/spublic/portal/inmex.html" in text
    assert "Chapala" in text and "Melaque" in text
    assert "former immigration officers" in text


def test_spanish_question_gets_a_spanish_answer(engine):
    answer = engine.answer("se me vence la tarjeta de residente temporal, como la renuevo")
    text = to_plain(answer.reply)
    assert answer.intent == "renovacion" and answer.language == "es"
    assert "Requiere cita en el sistema en línea del INM" in text
    assert "Qué preparar" in text


def test_uncertain_facts_say_so_with_the_date_they_were_checked(engine):
    text = to_plain(engine.answer("cuanto se paga por el canje de residente permanente").reply)
    assert "13,578.96 MXN (2026)" in text
    assert "no confirmado, revisado el 1 dic 2026" in text
    assert "no están confirmados" in text


def test_unconfirmed_appointment_is_not_presented_as_fact(engine):
    answer = engine.answer("I need to travel while my renewal is pending, what permit do I need?")
    assert answer.intent == "permiso_salida_regreso" and answer.appointment == "unconfirmed"
    assert "Not confirmed whether it needs an appointment" in to_plain(answer.reply)


def test_out_of_scope_question_gets_the_fallback_with_offers(engine):
    answer = engine.answer("what's the weather like in Chapala?")
    assert (answer.kind, answer.intent, answer.appointment) == ("none", None, None)
    assert "I can't help with that one." in to_plain(answer.reply)
    assert [b.action for b in answer.reply.buttons] == ["menu", "contact"]


def test_ambiguous_question_lists_the_choices_as_buttons(engine):
    answer = engine.answer("cambio por unidad familiar")
    assert answer.kind == AnswerKind.AMBIGUOUS and answer.intent is None
    assert {b.action for b in answer.reply.buttons} >= {"e:unidad_familiar_permanente", "e:unidad_familiar_temporal"}


def test_follow_up_question_answers_about_the_previous_entry(engine):
    answer = engine.answer("how much is it?", previous_language="en", last_entry="reposicion")
    assert answer.intent == "reposicion"
    assert "Government fees" in to_plain(answer.reply)


def test_placeholders_never_reach_users(engine, catalogue):
    placeholder_values = {p.value for p in catalogue.placeholders}
    assert placeholder_values
    for entry in catalogue.entries.values():
        for lang in ("es", "en"):
            for full in (True, False):
                text = to_plain(engine.composer.entry(entry, lang, full=full))
                assert "PLACEHOLDER" not in text, entry.id
    for lang in ("es", "en"):
        assert "PLACEHOLDER" not in to_plain(engine.composer.contact(lang))
    assert all(is_placeholder(v) for v in placeholder_values)


@pytest.mark.parametrize("text", [
    "", "   \n\t ", "🙂🙂🙂", "12345", "\x00\x07\x1b[31m", "x" * 10_000, "canje " * 2000,
    "Привет, как дела? 你好", "'; DROP TABLE users; --", "<b>canje</b> & <script>", None,
])
def test_bad_input_gets_a_sensible_reply(engine, text):
    answer = engine.answer(text)
    assert answer.reply.blocks
    assert answer.kind in ("procedure", "topic", "ambiguous", "none")
    for chunk in html_chunks(answer.reply):
        assert len(chunk) <= 4096


def test_empty_and_symbol_only_messages_ask_for_words(engine):
    assert "Escribe tu pregunta con palabras" in to_plain(engine.answer("🚗🏠").reply)
    assert "Write your question in words" in to_plain(engine.answer("...", language="en").reply)


def test_thanks_bye_ok_and_acknowledging_emoji_get_a_short_polite_reply(engine):
    for text, language, expected in (("muchas gracias!!", "es", "Con gusto"), ("thanks, bye", "en", "Take care"),
                                     ("Ok", "en", "anything else"), ("👍", "es", "Aquí estoy"),
                                     ("🙏🙏", "en", "anything else"), ("Gracias por la información", "es", "Con gusto")):
        answer = engine.answer(text, language=language)
        assert expected in to_plain(answer.reply), text
        assert answer.kind == "none" and not answer.unanswered
    assert engine.answer("gracias, ¿y cuánto cuesta la renovación?").intent is not None  # a question is a question


def test_greeting_is_answered_with_what_the_bot_does(engine):
    answer = engine.answer("hola, buenas tardes")
    assert answer.kind == "none" and not answer.unanswered
    assert "Soy el asistente de la firma" in to_plain(answer.reply)


def test_html_rendering_escapes_every_piece():
    from bot.answers.replies import Block, Reply, Style
    reply = Reply((Block(Style.TITLE, ("<b>&",)), Block(Style.BULLETS, ("a < b", "c > d & e"))))
    html = html_chunks(reply)[0]
    assert "<b>&lt;b&gt;&amp;</b>" in html and "• a &lt; b" in html


def test_long_replies_are_split_under_telegrams_limit(engine, catalogue):
    for entry in catalogue.entries.values():
        chunks = html_chunks(engine.composer.entry(entry, "es", full=True))
        assert all(len(c) <= 4096 for c in chunks), entry.id


def test_a_question_for_another_authority_gets_a_referral_never_an_inm_procedure(engine):
    for text, referral, authority in (("necesito sacar mi RFC en el SAT", "ref_sat", "SAT"),
                                      ("how do I renew my US passport in Guadalajara", "ref_visas_extranjeras",
                                       "embass"),
                                      ("bring my car to mexico with us plates", "ref_vehiculo", "Banjercito")):
        answer = engine.answer(text)
        assert (answer.kind, answer.intent, answer.referral) == ("none", None, referral), text
        plain = to_plain(answer.reply)
        assert authority in plain and ("not an INM procedure" in plain or "no es un trámite del INM" in plain)
        assert answer.as_json()["referral"] == referral and not answer.unanswered
    assert engine.answer("perdí mi tarjeta de residente").as_json()["referral"] is None


def test_referrals_never_appear_in_the_menus(engine):
    labels = " ".join(b.label for which in ("menu:with", "menu:without", "menu:topics")
                      for b in engine.composer.menu("es", which).buttons)
    assert "SAT" not in labels and "Banjercito" not in labels


def test_a_specific_question_gets_its_short_answer_first_then_the_way_to_the_rest(engine):
    answer = engine.answer("can't I renew one more time?", language="en", full=False)
    assert answer.intent == "renovacion" and answer.decided_by.startswith("answer: ")
    plain = to_plain(answer.reply)
    assert plain.index("No. As a temporary resident") < plain.index("Pick a section")
    assert [b.action for b in answer.reply.buttons][0] == "e:renovacion"
    tourist = engine.answer("perdí la tarjeta afuera, ¿puedo entrar como turista?", full=False)
    assert tourist.intent == "reposicion" and "No." in to_plain(tourist.reply)
    plain_question = engine.answer("renovar residencia temporal", full=False)
    assert plain_question.intent == "renovacion"  # the whole entry, as before (the classifier decides it now)
    assert plain_question.decided_by.startswith("classifier: ")


def test_the_appointment_badge_follows_the_case_not_only_the_entry(engine):
    """Issue 18: a card that expired abroad is a late renewal (appointment needed) inside the regularisation entry
    (no appointment): its answer shows its own badge, and the entry's overview names the exception."""
    abroad = engine.answer("Mi tarjeta venció mientras estaba fuera", full=False)
    plain = to_plain(abroad.reply)
    assert abroad.intent == "regularizacion_documento_vencido" and abroad.decided_by.startswith("answer: ")
    assert "📅 Requiere cita en el sistema en línea del INM." in plain and "No requiere cita" not in plain
    assert "renovación tardía" in plain
    english = to_plain(engine.answer("my card expired while I was abroad", language="en", full=False).reply)
    assert "📅 Needs an appointment in INM's online system." in english and "No appointment" not in english
    overview = to_plain(engine.composer.entry(engine.catalogue.get("regularizacion_documento_vencido"), "en",
                                              full=False))
    assert overview.index("✅ No appointment in INM's online system") < overview.index(
        "📅 Except if your temporary resident card expired while you were abroad (a late renewal): that case does "
        "need an appointment")
    renewal = to_plain(engine.answer("can't I renew one more time?", language="en", full=False).reply)
    assert "📅" not in renewal and "✅" not in renewal          # an answer without its own rule adds no badge


def test_when_the_law_forks_the_choice_says_who_each_procedure_is_for(engine):
    answer = engine.answer("soy turista y me casé con un mexicano, qué trámite hago")
    assert answer.kind == "ambiguous"
    assert set(answer.candidates) == {"unidad_familiar_temporal", "unidad_familiar_permanente"}
    plain = to_plain(answer.reply)
    for entry_id in answer.candidates:
        entry = engine.catalogue.get(entry_id)
        assert entry.applies_to.es in plain


def test_a_term_only_another_authority_owns_decides_unless_the_users_status_is_named(engine):
    curp = engine.answer("la curp de mi hijo nacido en zapopan, como la imprimo", full=False)
    assert (curp.kind, curp.referral) == ("none", "ref_curp")
    assert engine.referrals.anchored("la curp de mi hijo nacido en zapopan") == ("ref_curp", "curp")
    assert engine.referrals.anchored("soy residente temporal, mi curp tiene un error") is None
    taxes = engine.answer("me piden factura por mis clases, necesito rfc siendo extranjero?", full=False)
    assert taxes.referral == "ref_sat" and taxes.intent is None
    work = engine.answer("self-employed work permit, do I need an RFC?", full=False)
    assert (work.intent, work.referral) == ("permiso_trabajo", None)      # "work permit": the user's own status


def test_anchors_belong_to_referrals_only(tmp_path):
    import shutil

    from bot.knowledge.catalogue import KnowledgeError, load_catalogue
    from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    path = target / "procedures" / "canje.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nanchors:\n  es: [curp]\n  en: [curp]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_catalogue(target)
    assert "knowledge/procedures/canje.yaml: entry 'canje': 'anchors' only apply to referrals" in str(info.value)


def test_another_countrys_visa_or_residency_is_not_taken_for_inm(engine):
    spain = engine.answer("requisitos para la visa de trabajo en Alemania, soy ingeniera", full=False)
    assert (spain.kind, spain.intent, spain.decided_by) == ("none", None, "abroad: alemania")
    assert "Alemania" in to_plain(spain.reply) or "alemania" in to_plain(spain.reply)
    lost = engine.answer("lost mexican residency card in Spain on vacation, what now", full=False)
    assert lost.intent == "reposicion"                     # a Mexican card, wherever it was lost


def test_a_procedure_close_behind_a_general_topic_answers_instead(engine):
    import dataclasses

    from bot.answers.matcher import Match, MatchKind
    moved = engine.answer("We moved from Ajijic to Guadalajara last month. Do I have to tell INM about the new address?")
    assert moved.intent == "notificacion_cambios"
    topic_first = Match(MatchKind.ENTRY, "oficinas", ("oficinas", "notificacion_cambios"), 0.7, frozenset(),
                        ranked=(("oficinas", 0.58), ("notificacion_cambios", 0.50)))
    switched, decided = engine._procedure_over_topic(topic_first, "phrase: INM en Guadalajara")
    assert (switched.entry_id, decided) == ("notificacion_cambios", "procedure over topic: notificacion_cambios")
    far_behind = dataclasses.replace(topic_first, ranked=(("oficinas", 0.58), ("notificacion_cambios", 0.30)))
    assert engine._procedure_over_topic(far_behind, None)[0].entry_id == "oficinas"
    assert engine.answer("where is the INM office in Guadalajara").intent == "oficinas"


def test_the_spouses_two_year_condition_is_answered_as_unconfirmed_with_its_source(engine):
    answer = engine.answer("do I need 2 years of marriage for permanent residency with my mexican wife", full=False)
    plain = to_plain(answer.reply)
    assert answer.intent == "unidad_familiar_permanente" and answer.decided_by.startswith("answer: ")
    assert plain.startswith("Not confirmed") and "Change to permanent resident through family ties" in plain


def test_minor_siblings_count_for_family_unity_with_the_reglamento_as_source(engine, catalogue):
    """Issue 18: the entry used to say siblings do not appear in the sources; Reglamento art. 111 names them."""
    answer = engine.answer("do siblings count for family unity?", language="en", full=False)
    plain = to_plain(answer.reply)
    assert answer.intent == "unidad_familiar_permanente" and "Change to permanent resident" in plain
    assert plain.startswith("Yes, if they are a minor, unmarried and under your legal representation")
    notes = " ".join(n.text.en for n in catalogue.get("unidad_familiar_permanente").notes)
    assert "such as siblings, do not appear" not in notes and "Reglamento de la Ley de Migración (art. 111)" in notes


def test_a_general_topic_answers_only_a_question_that_names_it(engine):
    for text in ("horario del tianguis de Ajijic", "vet in Bucerías open on sunday?", "english speaking pediatrician in Guadalajara"):
        assert engine.answer(text).kind == "none", text
    assert engine.answer("a qué hora abre migración en Puerto Vallarta").intent == "oficinas"
    assert engine.answer("cuánto cobran ustedes por el trámite").intent == "contacto"
