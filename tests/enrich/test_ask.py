"""Question answering: the answer type a question asks for, typed ranking with the answer span, quotes by the
asked speaker, an honest "no answer", and the ask eval on a tiny gold file."""

from __future__ import annotations

import json

import pytest

from storyline import nlp
from storyline.domain import Article, ArticleAnalysis, Quote
from storyline.enrich import ask
from storyline.enrich.ask import AnswerType


def _article(key: str, title: str, text: str, source: str) -> Article:
    return Article(key, f"https://example.org/{key}", title, text, source, sentences=nlp.split_sentences(text))


@pytest.fixture(scope="module")
def seed_articles(seed_records) -> list[Article]:
    return [_article(r["id"], r["title"], r["text"], r["source"]) for r in seed_records]


EMBASSIES = _article(
    "embassies",
    "UK set to cut back on embassies",
    "Nine overseas embassies and high commissions will close in an effort to save money, UK Foreign Secretary "
    "Jack Straw has announced. Mr Straw said the move would save £6m a year to free up cash for priorities such "
    "as fighting terrorism. The changes are due to be put in place before the end of 2006. In Africa, a new post "
    "in Nairobi will help support work on climate change.",
    "BBC News",
)


@pytest.mark.parametrize(
    ("question", "kind", "speaker"),
    [
        ("How many local inquiries will the national inquiry oversee?", AnswerType.QUANTITY, None),
        ("How much money will the closures save?", AnswerType.QUANTITY, None),
        ("How long will the inquiry last?", AnswerType.QUANTITY, None),
        ("Who announced the closures?", AnswerType.AGENT, None),
        ("Which union will co-ordinate the action?", AnswerType.AGENT, None),
        ("When is the strike planned?", AnswerType.TIME, None),
        ("What year did the abuse end?", AnswerType.TIME, None),
        ("Where will the talks take place?", AnswerType.PLACE, None),
        ("Which city gets a new post?", AnswerType.PLACE, None),
        ("What did Nigel Farage say the inquiry must not be?", AnswerType.QUOTE, "Nigel Farage"),
        ("What does the Home Secretary say?", AnswerType.QUOTE, "the Home Secretary"),
        ("Why did the government change its mind?", AnswerType.GENERAL, None),
        ("What is the Casey report about?", AnswerType.GENERAL, None),
    ],
)
def test_answer_type(question, kind, speaker):
    assert ask.answer_type(question) == (kind, speaker)


@pytest.mark.parametrize(
    ("question", "sentence", "marked"),
    [
        ("How much money will the move save each year?", 1, "£6m"),
        ("Who announced the embassy closures?", 0, "Jack Straw"),
        ("When are the changes due to be in place?", 2, "the end of 2006"),
        ("Where will a new post support work on climate change?", 3, "Nairobi"),
        ("How many embassies will close?", 0, "Nine overseas embassies"),
    ],
)
def test_typed_answer_comes_first_with_its_span(question, sentence, marked):
    answer = ask.answer(question, [EMBASSIES])
    assert answer.citations[0].sentence == sentence
    before, found, after = answer.parts()
    assert marked in found and before + found + after == answer.text
    assert answer.text.startswith(EMBASSIES.sentences[sentence])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many local inquiries will the national inquiry oversee?", "five"),
        ("How many cases will be reopened?", "800"),
        ("Who will lead the nationwide policing operation?", "National Crime Agency"),
        ("What did Nigel Farage say the inquiry must not be?", "whitewash"),
        ("What did Kemi Badenoch say?", "failure of leadership"),
    ],
)
def test_answers_cite_supporting_sentences(seed_articles, question, expected):
    answer = ask.answer(question, seed_articles)
    assert not answer.synthesized
    assert 1 <= len(answer.citations) <= ask.MAX_SENTENCES
    assert expected in answer.citations[0].text
    assert expected in answer.parts()[1] or answer.kind is AnswerType.QUOTE
    by_key = {article.key: article for article in seed_articles}
    for citation in answer.citations:
        assert by_key[citation.article_key].sentences[citation.sentence] == citation.text
        assert citation.text in answer.text


def test_quote_questions_read_the_stored_quotes():
    article = _article(
        "q",
        "Talks",
        "The union leader spoke on Monday. 'We will not back down on pensions,' she said.",
        "Example",
    )
    analysis = ArticleAnalysis(
        article.sentences, "", [], quotes=[Quote("We will not back down on pensions", "Ann Smith", "ann-smith", 1)]
    )
    answer = ask.answer("What did Ann Smith say about pensions?", [article], analyses=[analysis])
    assert answer.citations[0].sentence == 1
    assert answer.parts()[1] == "We will not back down on pensions"
    nobody = ask.answer("What did Bob Jones say about pensions?", [article], analyses=[analysis])
    assert not nobody.answered


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Peru?",
        "recipe for banana bread",
        "   ",
        "Who will the Nairobi post report to?",
    ],
)
def test_says_so_when_nothing_answers(seed_articles, question):
    answer = ask.answer(question, seed_articles if question.strip() else [EMBASSIES])
    assert answer.text == ask.NO_ANSWER
    assert answer.citations == [] and not answer.answered and answer.parts() == (ask.NO_ANSWER, "", "")


@pytest.mark.parametrize(
    "question", ["Who will be the next British ambassador to the Bahamas?", "When will the Nairobi post open?"]
)
def test_a_typed_question_without_an_answer_of_its_type_gets_none(question):
    answer = ask.answer(question, [EMBASSIES])
    assert not answer.answered and answer.text == ask.NO_ANSWER


def test_no_articles_no_answer():
    assert ask.answer("How many cases will be reopened?", []).citations == []


def test_ask_eval_scores_a_tiny_gold_file(tmp_path):
    from storyline.evals import ask as ask_eval

    gold = {
        "stories": {"embassies": {"articles": [{"id": "e", "title": EMBASSIES.title, "text": EMBASSIES.text,
                                                "source": "BBC News"}]}},
        "questions": [
            {"story": "embassies", "question": "How much will the move save a year?", "answers": ["£6m"],
             "split": "dev"},
            {"story": "embassies", "question": "Who is the Prime Minister?", "answers": ["Tony Blair"],
             "split": "held_out"},
            {"story": "embassies", "question": "When will the Nairobi embassy close?", "answers": [], "split": "dev"},
        ],
    }  # fmt: skip
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold), encoding="utf-8")
    scores = ask_eval.run(path)
    assert scores["questions"] == 3
    assert scores["dev"]["first_sentence_holds_answer"] == 1.0 and scores["dev"]["unanswerable_said_none"] == 1.0
    assert scores["held_out"]["first_sentence_holds_answer"] == 0.0
    assert scores["all"]["first_sentence_holds_answer"] == 0.5
    assert [miss["question"] for miss in scores["misses"]] == ["Who is the Prime Minister?"]


def test_ask_eval_rejects_questions_about_unknown_stories(tmp_path):
    from storyline.errors import InputError
    from storyline.evals import ask as ask_eval

    path = tmp_path / "gold.json"
    path.write_text(json.dumps({"stories": {}, "questions": [{"story": "x", "question": "Q?", "answers": []}]}))
    with pytest.raises(InputError):
        ask_eval.run(path)
