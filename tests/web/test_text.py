from datetime import datetime, timedelta, timezone

import pytest

from storyline.web.templating import time_element
from storyline.web.text import (
    Span,
    body_html,
    body_paragraphs,
    json_ld,
    language_code,
    relative_time,
    render_comment,
    safe_http_url,
    xml_safe,
)

NOW = datetime(2025, 6, 16, 18, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.com/a.jpg", "https://example.com/a.jpg"),
        ("http://example.com/", "http://example.com/"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:image/svg+xml;base64,PHN2Zz4=", None),
        ("//evil.example/x.js", None),
        ("https:///nohost", None),
        ("https://exa mple.com/", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_http_url(url, expected):
    assert safe_http_url(url) == expected


@pytest.mark.parametrize(
    "delta, expected",
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=18), "18 minutes ago"),
        (timedelta(hours=3, minutes=5), "3 hours ago"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=30), "17 May 2025"),
        (-timedelta(hours=2), "16 Jun 2025"),
    ],
)
def test_relative_time(delta, expected):
    assert relative_time(NOW - delta, NOW) == expected


@pytest.mark.parametrize(
    "code, expected", [("en", "en"), ("DE", "de"), ("pt-BR", "pt-br"), ("../x", "en"), (None, "en")]
)
def test_language_code(code, expected):
    assert language_code(code) == expected


def test_body_paragraphs_anchor_every_sentence_in_its_paragraph():
    text = "First one. Second one.\nThird in a new paragraph."
    paragraphs = body_paragraphs(text, ["First one.", "Second one.", "Third in a new paragraph."])
    assert [[(span.text, span.sentence) for span in p] for p in paragraphs] == [
        [("First one.", 0), ("Second one.", 1)],
        [("Third in a new paragraph.", 2)],
    ]


def test_body_paragraphs_fall_back_to_one_paragraph_a_sentence_when_sentences_do_not_match():
    paragraphs = body_paragraphs("Some text.", ["Other words.", "More."])
    assert [[(s.text, s.sentence) for s in p] for p in paragraphs] == [[("Other words.", 0)], [("More.", 1)]]


def test_body_paragraphs_without_sentences_keep_paragraphs():
    assert [[s.text for s in p] for p in body_paragraphs("A\n\nB", [])] == [["A"], ["B"]]


def test_body_html_anchors_sentences_and_escapes_every_text():
    paragraphs = [
        [Span('<img src=x onerror="alert(1)">.', 0), Span("Tom & Jerry.", 1)],
        [Span("<b>Unanchored</b>", None)],
    ]
    assert body_html(paragraphs) == (
        '<p><span id="s0" class="sentence">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;.</span> '
        '<span id="s1" class="sentence">Tom &amp; Jerry.</span></p>\n'
        "<p>&lt;b&gt;Unanchored&lt;/b&gt;</p>"
    )


def test_time_element_is_exact_for_machines_and_relative_for_readers():
    moment = datetime.now(timezone.utc) - timedelta(hours=3)
    exact = moment.isoformat(timespec="seconds")
    assert time_element(moment) == f'<time datetime="{exact}" title="{exact}">3 hours ago</time>'


@pytest.mark.parametrize(
    "body, must_contain, must_not_contain",
    [
        ("<script>alert(1)</script>", "&lt;script&gt;", "<script"),
        ('<img src=x onerror="alert(1)">', "&lt;img", "<img"),
        (
            "see https://example.com/a?b=1&c=2.",
            '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">',
            "2.</a>",
        ),
        ('https://x.example/"onmouseover="alert(1)', 'href="https://x.example/" rel', 'onmouseover="alert(1)" '),
        ("javascript:alert(1)", "javascript:alert(1)", "<a"),
        ("line one\nline two\n\nnext", "<p>line one<br>line two</p><p>next</p>", "<script"),
    ],
)
def test_render_comment_is_inert_text_with_safe_links(body, must_contain, must_not_contain):
    html = str(render_comment(body))
    assert must_contain in html
    assert must_not_contain not in html


def test_json_ld_cannot_close_its_script_element():
    encoded = str(json_ld({"headline": "</script><script>alert(1)</script> & more"}))
    assert "</script>" not in encoded and "<" not in encoded and "&" not in encoded


def test_xml_safe_drops_control_characters():
    assert xml_safe("a\x00b\x1bc\td") == "abc\td"
