"""Bytes to text for HTML whose declared encoding may be missing or wrong."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from charset_normalizer.utils import any_specified_encoding

# Browsers read a declared Latin-1 as Windows-1252 (WHATWG Encoding Standard); pages rely on it for curly quotes.
_BROWSER_ALIASES = {"latin_1": "cp1252", "iso8859_1": "cp1252", "ascii": "cp1252"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DETECTION_SAMPLE = 64 * 1024
# The legacy encodings browsers support (WHATWG Encoding Standard); DOS and other code pages never appear on the
# web, yet detection on a short page can rank them first.
_WEB_ENCODINGS = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp874",
    "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_5", "iso8859_6", "iso8859_7", "iso8859_8", "iso8859_10",
    "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "koi8_r", "koi8_u", "mac_roman", "mac_cyrillic",
    "cp866", "gb18030", "big5", "euc_jp", "iso2022_jp", "shift_jis", "euc_kr",
]  # fmt: skip
# Detection on short texts often scores several single-byte codecs as equally clean; among those, the one whose
# letters form the most plausible words (coherence) is the right one far more often than the cleanest by a hair.
_CHAOS_MARGIN = 0.05


def _normalised_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return None
    return _BROWSER_ALIASES.get(codec, codec)


def _strict(data: bytes, encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes) -> str:
    """A byte-order mark wins; then valid UTF-8 (a declaration of anything else is then the wrong one); then the
    declared charset when the bytes fit it; then statistical detection; never an exception."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    for candidate in ("utf-8", _normalised_codec(any_specified_encoding(data))):
        text = _strict(data, candidate)
        if text is not None:
            return text
    text = _strict(data, _detected_codec(data[:_DETECTION_SAMPLE]))
    return text if text is not None else data.decode("cp1252", errors="replace")


def _detected_codec(sample: bytes) -> str | None:
    matches = list(from_bytes(sample, cp_isolation=_WEB_ENCODINGS))
    if not matches:
        return None
    least_chaos = min(match.chaos for match in matches)
    plausible = [match for match in matches if match.chaos <= least_chaos + _CHAOS_MARGIN]
    return _normalised_codec(max(plausible, key=lambda match: match.coherence).encoding)
