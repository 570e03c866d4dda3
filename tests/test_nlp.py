"""The one parse: sentences, their parsed Docs and headlines, shared by every feature."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from storyline import nlp

BODY = (
    "Louise Casey published her report on Monday. Yvette Cooper said an inquiry would follow.\n\nThe Home Office agreed"
)


def test_sentences_end_at_paragraph_breaks_and_docs_match_them():
    (parsed,) = nlp.parse_texts([BODY])
    assert parsed.sentences == (
        "Louise Casey published her report on Monday.",
        "Yvette Cooper said an inquiry would follow.",
        "The Home Office agreed",
    )
    assert [doc.text.strip() for doc in parsed.docs] == list(parsed.sentences)
    assert nlp.split_sentences(BODY) == list(parsed.sentences)


def test_sentence_docs_carry_entities_and_dependencies():
    docs = nlp.parse_texts([BODY])[0].docs
    assert "Louise Casey" in [ent.text for ent in docs[0].ents]
    said = next(token for token in docs[1] if token.lower_ == "said")
    assert [child.text for child in said.children if child.dep_ == "nsubj"] == ["Cooper"]


def test_a_text_is_parsed_once_and_then_served_from_the_cache():
    first = nlp.parse_texts([BODY])[0]
    assert nlp.parse_texts(["Something else entirely.", BODY])[1] is first


def test_a_headline_of_two_sentences_is_one_doc():
    doc = nlp.parse_headline("Casey report published. Cooper promises inquiry")
    assert doc.text.startswith("Casey report published.")
    assert {"Casey", "Cooper"} <= {ent.text for ent in doc.ents}
    assert len(nlp.parse_headline("")) == 0


def _features(parsed: nlp.ParsedText) -> list:
    return [
        (
            doc.text,
            [(t.lemma_, t.pos_, t.tag_, t.dep_, t.head.i, str(t.morph), t.norm_, t.is_sent_start) for t in doc],
            [(e.text, e.label_) for e in doc.ents],
        )
        for doc in parsed.docs
    ]


def test_a_text_parsed_ahead_in_another_process_is_parsed_as_here():
    nlp._parsed.clear()
    here = _features(nlp.parse_texts([BODY])[0])
    nlp._parsed.clear()
    with nlp.ParseAhead(processes=1) as ahead:
        ahead.collect(ahead.submit([BODY]))
    assert BODY in nlp._parsed, "the parse did not reach this process's cache"
    assert _features(nlp.parse_texts([BODY])[0]) == here


def test_nothing_is_parsed_ahead_without_processes_or_of_what_is_cached():
    nlp._parsed.clear()
    with nlp.ParseAhead(processes=0) as ahead:
        assert ahead.submit([BODY]) == []
    nlp.parse_texts([BODY])
    with nlp.ParseAhead(processes=1) as ahead:
        assert ahead.submit([BODY]) == []  # and no process was started for it
        assert ahead._pool is None


def test_a_failed_parse_ahead_leaves_the_text_to_be_parsed_here():
    nlp._parsed.clear()
    failed: Future = Future()
    failed.set_exception(BrokenProcessPool("the parser process died"))
    nlp.ParseAhead(processes=1).collect([([BODY], failed)])
    assert BODY not in nlp._parsed
    assert nlp.parse_texts([BODY])[0].sentences[0] == "Louise Casey published her report on Monday."


def test_a_killed_parser_process_loses_nothing():
    nlp._parsed.clear()
    with nlp.ParseAhead(processes=1) as ahead:
        ahead.collect(ahead.submit(["A first text, to start the process."]))
        for process in list(ahead._pool._processes.values()):
            process.kill()
            process.join()
        for _ in range(2):  # the death shows either in the ticket's result or in the next submit
            ahead.collect(ahead.submit([BODY]))
        assert nlp.parse_texts([BODY])[0].sentences[-1] == "The Home Office agreed"
        assert ahead.submit(["Another text."]) == []


def test_while_parser_processes_run_the_embedding_model_keeps_to_the_cores_they_leave(monkeypatch):
    import torch

    nlp._parsed.clear()
    monkeypatch.setattr(nlp, "available_cpus", lambda: 3)
    before = torch.get_num_threads()
    with nlp.ParseAhead(processes=1) as ahead:
        ahead.collect(ahead.submit([BODY]))
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before
    with nlp.ParseAhead(processes=4) as ahead:
        ahead.submit(["More parser processes than cores."])
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_sentence_embeddings_are_cached_and_equal_to_fresh_ones(monkeypatch):
    sentences = [
        "The inquiry was announced on Monday.",
        "Casey found the issue was avoided.",
        "The inquiry was announced on Monday.",
    ]
    expected = nlp.embed(sentences)
    embedded: list[str] = []
    embed = nlp.embed
    monkeypatch.setattr(nlp, "embed", lambda texts: embedded.extend(texts) or embed(texts))
    monkeypatch.setattr(nlp.recent_sentences, "vectors", nlp.OrderedDict())
    assert np.allclose(nlp.embed_sentences(sentences), expected, atol=1e-6)
    assert np.allclose(nlp.embed_sentences(sentences[:2]), expected[:2], atol=1e-6)
    assert embedded == sentences[:2], "each sentence is embedded once, and not again while it is cached"


def test_recent_vectors_keep_the_most_recently_used():
    encoded: list[str] = []

    def encode(texts):
        encoded.extend(texts)
        return np.array([[float(len(text)), 1.0] for text in texts], dtype=np.float32)

    recent = nlp.RecentVectors(encode, size=2)
    assert recent(["aa", "b", "aa"])[:, 0].tolist() == [2.0, 1.0, 2.0]
    recent(["aa"])  # used again: "b" is now the least recent
    recent(["ccc"])
    assert list(recent.vectors) == ["aa", "ccc"] and encoded == ["aa", "b", "ccc"]
    assert recent([]).shape == (0, nlp.EMBEDDING_DIM)


@pytest.mark.parametrize(
    ("tag", "language"),
    [("en", "en"), ("en-GB", "en"), ("EN_us", "en"), ("fr", "fr"), ("zh-Hant-TW", "zh"), ("", "en"), (None, "en")],
)
def test_primary_language_drops_the_region(tag, language):
    assert nlp.primary_language(tag) == language


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # A German ordinal ends with a full stop: before a month, or after the words German puts before one.
        (
            "Die Server seien am 30. Mai gehackt worden, teilte JBS mit. Das Weiße Haus schwieg.",
            ["Die Server seien am 30. Mai gehackt worden, teilte JBS mit.", "Das Weiße Haus schwieg."],
        ),
        (
            "Im 19. Jahrhundert war das anders. Zum 3. Mal tagte der Rat.",
            ["Im 19. Jahrhundert war das anders.", "Zum 3. Mal tagte der Rat."],
        ),
        # German "im" is no "I'm" without its apostrophe, where a sentence would begin.
        (
            "Biden wird die Familie von George Floyd im Weißen Haus empfangen. Das Treffen ist privat.",
            ["Biden wird die Familie von George Floyd im Weißen Haus empfangen.", "Das Treffen ist privat."],
        ),
        # A quotation closing after its full stop belongs to the sentence it ends.
        (
            "Innenministerin Yvette Cooper kündigte eine Untersuchung an. Sie sagte: „Wir handeln jetzt.“ Die "
            "Opposition kritisierte das.",
            [
                "Innenministerin Yvette Cooper kündigte eine Untersuchung an.",
                "Sie sagte: „Wir handeln jetzt.“",
                "Die Opposition kritisierte das.",
            ],
        ),
        (
            "Le ministre a dit : « Nous agissons. » Le gouvernement a suivi.",
            ["Le ministre a dit : « Nous agissons. »", "Le gouvernement a suivi."],
        ),
        ("„Wir handeln jetzt.“, sagte sie. Dann ging sie.", ["„Wir handeln jetzt.“, sagte sie.", "Dann ging sie."]),
        # An opening « left at a sentence's end: the sentence goes on, or the quotation begins the next.
        (
            "Le plan a été dévoilé par Biden. Baptisé « Path out of the Pandemic », il prévoit de nouvelles règles.",
            [
                "Le plan a été dévoilé par Biden.",
                "Baptisé « Path out of the Pandemic », il prévoit de nouvelles règles.",
            ],
        ),
        (
            "Le rapport ajoute plus loin : « Un élargissement de la Cour pourrait entraîner un cycle continu. » Le "
            "Washington Post a relevé la pression.",
            [
                "Le rapport ajoute plus loin : « Un élargissement de la Cour pourrait entraîner un cycle continu. »",
                "Le Washington Post a relevé la pression.",
            ],
        ),
        # A capitalised word inside a sentence (a German noun, a Spanish "Gobierno") is no sentence's start.
        (
            "Ein Bundesrichter in Texas hat am Freitag ein Programm aus der Obama-Ära blockiert. Die Regierung prüft "
            "das Urteil.",
            ["Ein Bundesrichter in Texas hat am Freitag ein Programm aus der Obama-Ära blockiert.",
             "Die Regierung prüft das Urteil."],
        ),
        (
            "Yvette Cooper dijo que el Gobierno actuará contra las bandas. Se espera que la Cámara vote esta semana.",
            ["Yvette Cooper dijo que el Gobierno actuará contra las bandas.",
             "Se espera que la Cámara vote esta semana."],
        ),
        # English as the parser splits it: a number ending a sentence is no ordinal, even after "am".
        ('"I am 25. I\'m playing against Hewitt."', ['"I am 25.', "I'm playing against Hewitt.\""]),
        ("The vote was 52 to 48. June saw more.", ["The vote was 52 to 48.", "June saw more."]),
        ("He said: “We act now.” The opposition objected.", ["He said: “We act now.”", "The opposition objected."]),
        ("Zum 3.", ["Zum 3."]),
        # A paragraph's end is a sentence's end, whatever its last word.
        ("The vote passed by a wide margin\nThe Senate adjourned.", ["The vote passed by a wide margin",
                                                                     "The Senate adjourned."]),
    ],
)  # fmt: skip
def test_sentences_of_other_languages_end_where_their_punctuation_says(text, sentences):
    assert nlp.split_sentences(text) == sentences
