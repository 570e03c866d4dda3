"""Bytes to text: BOMs, missing and wrong declarations never crash and give the readable text."""

from __future__ import annotations

import codecs

import pytest

from storyline.extract import extract_article
from storyline.extract.decode import decode_html

BODY = (
    "<p>Le café de la gare a rouvert ses portes après des travaux qui ont duré tout l'été, à la grande joie des "
    "habitués du quartier.</p>"
    "<p>Le patron, Jérôme Lefèvre, promet des croissants « comme avant » et un menu à prix réduit pour les "
    "étudiants pendant toute l'année scolaire.</p>"
    "<p>Les riverains se réjouissent déjà de retrouver la terrasse, fermée depuis le printemps dernier à cause "
    "d'une fuite dans la toiture de l'immeuble voisin.</p>"
)


def page(head: str = "") -> str:
    return f"<html><head>{head}<title>Réouverture du café</title></head><body><article>{BODY}</article></body></html>"


CASES = [
    pytest.param(page().encode("latin-1"), id="latin-1-undeclared"),
    pytest.param(page('<meta charset="utf-8">').encode("cp1252"), id="declared-utf-8-but-cp1252"),
    pytest.param(page('<meta charset="iso-8859-1">').encode("utf-8"), id="declared-latin-1-but-utf-8"),
    pytest.param(page('<meta charset="no-such-codec">').encode("latin-1"), id="unknown-declared-codec"),
    pytest.param(codecs.BOM_UTF8 + page('<meta charset="windows-1252">').encode("utf-8"), id="utf-8-bom"),
    pytest.param(page().encode("utf-16"), id="utf-16-bom"),
    pytest.param(
        page('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">').encode("cp1252"),
        id="declared-cp1252",
    ),
]


@pytest.mark.parametrize("raw", CASES)
def test_decoded_text_is_readable(raw: bytes) -> None:
    text = decode_html(raw)
    assert "Jérôme Lefèvre" in text
    assert "« comme avant »" in text
    assert "\ufffd" not in text


@pytest.mark.parametrize("raw", CASES)
def test_article_extracted_from_any_encoding(raw: bytes) -> None:
    result = extract_article(raw, "https://journal.example/cafe")
    assert "Le patron, Jérôme Lefèvre, promet des croissants" in result.text


def test_declared_latin_1_reads_windows_1252_quotes_as_browsers_do() -> None:
    raw = '<html><head><meta charset="iso-8859-1"></head><body>\u201cQuoted\u201d</body></html>'.encode("cp1252")
    assert "\u201cQuoted\u201d" in decode_html(raw)


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xff\xfe\xff", bytes(range(256)) * 4, b"<html>\x81\x8d\x8f\x90\x9d</html>", b"\xef\xbb\xbf"],
    ids=["empty", "bom-like-junk", "all-bytes", "cp1252-undefined-bytes", "bom-only"],
)
def test_undecodable_bytes_do_not_crash(raw: bytes) -> None:
    assert isinstance(decode_html(raw), str)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Городской совет утвердил новый план развития транспорта на ближайшие десять лет.", "cp1251"),
        ("Городской совет утвердил новый план развития транспорта на ближайшие десять лет.", "koi8_r"),
        ("東京都は今日、新しい交通計画を発表しました。市民の皆さんの意見を聞きます。", "shift_jis"),
        ("Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα για την οικονομία της χώρας.", "cp1253"),
    ],
)
def test_undeclared_legacy_encodings_are_detected(text: str, encoding: str) -> None:
    raw = f"<html><body><p>{text}</p></body></html>".encode(encoding)
    assert text in decode_html(raw)
