"""Article summaries (constraints, and a preference for informative sentences) and the cross-outlet summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storyline import nlp
from storyline.domain import Article
from storyline.enrich import summarize
from storyline.enrich.sections import SECTIONS
from storyline.evals.summary import lead_words, rouge_f1
from storyline.training import summary as summary_training

FIXTURE = json.loads((Path(__file__).parent / "testdata" / "summarize_article.json").read_text(encoding="utf-8"))


def _article(key: str, title: str, text: str, source: str = "Example") -> Article:
    return Article(key, f"https://example.org/{key}", title, text, source, sentences=nlp.split_sentences(text))


@pytest.fixture(scope="module")
def flood() -> Article:
    return _article("flood", FIXTURE["title"], FIXTURE["text"])


@pytest.fixture(scope="module")
def seed_articles(seed_records) -> list[Article]:
    return [_article(r["id"], r["title"], r["text"], r["source"]) for r in seed_records]


def test_fixture_splits_as_written(flood):
    assert len(flood.sentences) == 8
    assert flood.sentences[2] == "It was a grey day."


def test_article_summary_constraints(flood, seed_articles):
    for article in [flood, *seed_articles]:
        chosen = summarize.summarize_article(article)
        assert 1 <= len(chosen) <= summarize.MAX_SENTENCES
        assert chosen == sorted(set(chosen))
        assert all(0 <= i < len(article.sentences) for i in chosen)
        words = sum(len(article.sentences[i].split()) for i in chosen)
        assert words <= summarize.WORD_BUDGET or len(chosen) == 1


def test_article_summary_prefers_informative_sentences(flood):
    chosen = summarize.summarize_article(flood)
    assert len(chosen) >= 2
    assert set(chosen) <= set(FIXTURE["informative"])
    assert not set(chosen) & set(FIXTURE["filler"])


@pytest.mark.parametrize(
    ("sentences", "expected"),
    [([], []), (["Only one sentence here."], [0])],
)
def test_article_summary_of_tiny_articles(sentences, expected):
    article = Article("t", "https://example.org/t", "Title", " ".join(sentences), "Example", sentences=sentences)
    assert summarize.summarize_article(article) == expected


def test_story_summary_cites_valid_sentences_without_near_duplicates(seed_articles):
    citations = summarize.summarize_story(seed_articles)
    assert 3 <= len(citations) <= 5
    by_key = {article.key: article for article in seed_articles}
    for citation in citations:
        article = by_key[citation.article_key]
        assert article.sentences[citation.sentence] == citation.text
        assert citation.source == article.source
    vectors = nlp.embed([citation.text for citation in citations])
    similarity = vectors @ vectors.T
    for i in range(len(citations)):
        for j in range(i + 1, len(citations)):
            assert similarity[i, j] < summarize.NEAR_DUPLICATE


def test_story_summary_drops_a_verbatim_repeat(seed_articles):
    copy = seed_articles[1]
    repeated = Article("copy", "https://example.org/copy", copy.title, copy.text, "Copycat", sentences=copy.sentences)
    texts = [citation.text for citation in summarize.summarize_story([*seed_articles, repeated])]
    assert len(texts) == len(set(texts))


def test_story_summary_of_nothing_is_empty():
    assert summarize.summarize_story([]) == []


@pytest.mark.parametrize(
    ("reference", "prediction", "rouge2"),
    [
        ("the cat sat on the mat", "the cat sat on the mat", 1.0),
        ("the cat sat on the mat", "a dog ran in a park", 0.0),
        ("the cat sat on the mat", "the cat sat", 2 * (2 / 2) * (2 / 5) / ((2 / 2) + (2 / 5))),
    ],
)
def test_rouge_helper(reference, prediction, rouge2):
    assert rouge_f1([reference], [prediction])["rouge2"] == pytest.approx(rouge2, abs=1e-4)


@pytest.mark.parametrize(("words", "expected"), [(0, ""), (3, "One two three"), (9, "One two three four.")])
def test_lead_baseline_is_cut_to_the_same_word_count(words, expected):
    assert lead_words("One two  three\nfour.", words) == expected


def _write_layout(root: Path, articles: dict[str, tuple[str, str]], references: dict[str, str]) -> Path:
    for name, (title, body) in articles.items():
        path = root / "articles" / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{title}\n\n{body}\n".encode("latin-1"))
    for name, reference in references.items():
        path = root / "summaries" / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(reference, encoding="utf-8")
    return root


def test_bbc_reader_handles_latin1_and_missing_references(tmp_path):
    from storyline.evals.summary import read_bbc

    root = _write_layout(
        tmp_path,
        {
            "sport/001": ("Café owner wins", "A café owner won £5m.\n\nShe said she was thrilled."),
            "tech/002": ("T", "B."),
        },
        {"sport/001": "A café owner won £5m."},
    )
    items = list(read_bbc(root))
    assert [item.id for item in items] == ["sport/001", "tech/002"]
    assert items[0].title == "Café owner wins" and "£5m" in items[0].body
    assert items[0].reference == "A café owner won £5m."
    assert items[1].reference is None


def test_summary_eval_writes_predictions_and_scores(tmp_path):
    from storyline.evals import summary

    flood_reference = " ".join(nlp.split_sentences(FIXTURE["text"])[i] for i in (0, 1, 3))
    root = _write_layout(
        tmp_path / "bbc",
        {"business/001": (FIXTURE["title"], FIXTURE["text"])},
        {"business/001": flood_reference},
    )
    progress: list[tuple[int, int]] = []
    scores = summary.run(root, tmp_path / "out.jsonl", progress=lambda done, total: progress.append((done, total)))
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == "business/001" and rows[0]["summary"] and rows[0]["section"] in SECTIONS
    assert scores["count"] == 1 and progress == [(1, 1)]
    assert 0 < scores["rouge"]["rouge2"] <= 1 and scores["lead_baseline_rouge"]["rouge2"] > 0
    assert scores["mean_words"] <= summarize.WORD_BUDGET
    assert scores["first_line_leans_share"] == 0.0  # the flood article's lead stands alone
    assert "section_accuracy_note" in scores


@pytest.fixture
def restore_scorer():
    yield
    summarize.load_scorer.cache_clear()


def test_train_writes_a_scorer_and_reports_held_out_scores(tmp_path, monkeypatch, restore_scorer):
    sentences = nlp.split_sentences(FIXTURE["text"])
    reference = " ".join(sentences[i] for i in FIXTURE["informative"])
    root = _write_layout(
        tmp_path / "bbc",
        {f"business/{n:03d}": (FIXTURE["title"], FIXTURE["text"]) for n in range(1, 6)},
        {f"business/{n:03d}": reference for n in range(1, 6)},
    )
    output = tmp_path / "scorer.json"
    result = summary_training.train(root, output)
    assert result["articles"] == 5 and result["cv_rouge"]["rouge2"] > 0
    monkeypatch.setattr(summarize, "SCORER_PATH", output)
    summarize.load_scorer.cache_clear()
    chosen = summarize.summarize_article(_article("flood", FIXTURE["title"], FIXTURE["text"]))
    assert not set(chosen) & set(FIXTURE["filler"])


@pytest.mark.parametrize(
    ("sentences", "reference", "expected"),
    [
        (["The cat sat on the mat.", "Dogs bark loudly at night."], "The cat sat on the mat.Birds sing.", [1, 0]),
        (["The cat sat on the mat today."], "The cat sat on the mat.", [1]),
        (["Nothing here matches at all."], "The cat sat.", [0]),
    ],
)
def test_reference_labels_recover_glued_reference_sentences(sentences, reference, expected):
    assert summary_training.reference_labels(sentences, reference).tolist() == expected


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("But speaking to reporters, Sir Keir said the audit mattered.", True),
        ("However, the figures were revised.", True),
        ("And the talks went on.", True),
        ("Meanwhile, shares fell.", True),
        ("He added that the talks would go on.", True),
        ("They want the government to withdraw the rules.", True),
        ("It is just weeks before the rules come in.", True),
        ("This would allow months of talks.", True),
        ("'This cannot be a whitewash.'", True),
        ("'We will fight on,' he said.", True),
        ("A national inquiry will oversee local investigations, she said.", True),
        ("Already, he said, there have been four incidents.", True),
        ("In a report, it said there were 32 million connections.", True),
        ("Mr Blair said he still admired Mr Blunkett.", False),
        ("Tony Blair has said he will not take part in a debate.", False),
        ("Yvette Cooper declared there will be a national inquiry.", False),
        ("'We will fight on,' Mr Serwotka said.", False),
        ('"We will fight on," said Mark Serwotka.', False),
        ("Itv shares rose by 5%.", False),
        ("Theresa May spoke first.", False),
        ("Butler launched an attack on the prime minister.", False),
    ],
)
def test_leans_on_earlier(sentence, leans):
    assert summarize.leans_on_earlier(sentence) is leans


@pytest.mark.parametrize(
    "sentences",
    [
        ["But the talks failed.", "Unions will strike on Monday over pay.", "It is the first strike in years."],
        ["Unions will strike on Monday over pay.", "He said so.", "Talks failed on Friday."],
        ["Unions will strike on Monday, they said.", "Pay talks failed on Friday.", "It is the first strike."],
    ],
)
def test_article_summary_opens_with_a_sentence_that_stands_alone(sentences):
    text = " ".join(sentences)
    article = Article("t", "https://example.org/t", "Unions strike", text, "Example", sentences=sentences)
    assert not summarize.leans_on_earlier(sentences[summarize.summarize_article(article)[0]])


@pytest.mark.parametrize(
    ("scores", "opening", "expected"),
    [
        ([0.1, 0.9, 0.9, 0.1], None, [1, 2]),  # no constraint: the two likely sentences
        ([0.1, 0.9, 0.9, 0.1], [0], [0, 1, 2]),  # the lead must open
        ([0.1, 0.9, 0.9, 0.1], [0, 2], [2]),  # sentence 1 cannot open, 2 can: not forced to take the lead
        ([0.1, 0.9, 0.9, 0.1], [0, 3], [0, 1, 2]),
    ],
)
def test_select_opens_with_an_allowed_sentence(scores, opening, expected):
    assert summarize.select(np.array(scores), [20, 20, 20, 20], opening) == expected


def test_openers_are_the_first_sentences_that_stand_alone():
    sentences = ["But no.", "One.", "He did.", "Two.", "Three.", "Four.", "Five."]
    assert summarize.openers(sentences) == [1, 3, 4, 5][: summarize.OPENERS]


def test_seed_summary_leads_with_the_national_inquiry(seed_articles):
    lead = next(article for article in seed_articles if article.key == "seed-lead")
    first = lead.sentences[summarize.summarize_article(lead)[0]]
    assert first.startswith("Yvette Cooper declared there will be a national inquiry")
    for article in seed_articles:
        assert not summarize.leans_on_earlier(article.sentences[summarize.summarize_article(article)[0]])
