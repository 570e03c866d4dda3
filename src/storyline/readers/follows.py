"""Follows and mutes: which kinds there are, what a target may be, and where each leads."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

from storyline.errors import InputError
from storyline.i18n import DEFAULT_LOCALE, N_, prefix

FOLLOW_KINDS = ("hashtag", "outlet", "section", "story", "search")
MUTE_KINDS = ("hashtag", "outlet", "keyword")
MAX_TARGET = 300
MAX_KEYWORD = 60
FEED_TOKEN_BYTES = 32
HEADINGS = {
    "hashtag": N_("Hashtags"),
    "outlet": N_("Outlets"),
    "section": N_("Sections"),
    "story": N_("Stories"),
    "search": N_("Saved searches"),
    "keyword": N_("Keywords"),
}


def clean_target(kind: str, target: str, kinds: tuple[str, ...] = FOLLOW_KINDS) -> str:
    """The target as stored, or InputError: a known kind, a non-empty target, a story by its numeric id."""
    if kind not in kinds:
        raise InputError(f"one can follow or mute only {', '.join(kinds)}", subject=kind)
    target = " ".join(target.split())
    limit = MAX_KEYWORD if kind == "keyword" else MAX_TARGET
    if not target or len(target) > limit:
        raise InputError(f"a {kind} is 1 to {limit} characters long")
    if kind == "story" and not (target.isascii() and target.isdigit() and 0 < int(target) < 2**63):
        raise InputError("a story is named by its number", subject=target)
    if kind == "keyword":
        target = target.casefold()
    return target


def new_feed_token() -> str:
    """The secret in a private feed's address (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(FEED_TOKEN_BYTES)


def token_matches(stored: str, given: str) -> bool:
    """Constant-time, so response times reveal nothing of the stored token."""
    return secrets.compare_digest(stored.encode(), given.encode())


def page_path(kind: str, target: str, locale: str = DEFAULT_LOCALE) -> str:
    """The public page a follow or a mute is about, in the interface language ``locale``."""
    if kind == "hashtag":
        return f"/{locale}/hashtag/{quote(target, safe='')}"
    if kind == "outlet":
        return f"/{locale}/source/{quote(target, safe='')}"
    if kind == "section":
        return f"/{locale}/section/{quote(target, safe='/')}"
    if kind == "story":
        return f"/{locale}/story/{target}"
    return f"{prefix(locale)}/search?q={quote(target, safe='')}"


PAGE_KINDS = {"hashtag": "hashtag", "source": "outlet", "section": "section", "story": "story"}


def follow_of_page(path: str) -> tuple[str, str]:
    """The follow a page path stands for (the inverse of ``page_path``): ``/en/hashtag/louise-casey`` ->
    ("hashtag", "louise-casey"), ``/search?q=...`` -> a saved search; InputError for any other path."""
    parsed = urlsplit(path.strip())
    if parsed.path == "/search":
        return "search", clean_target("search", parse_qs(parsed.query).get("q", [""])[0])
    parts = parsed.path.strip("/").split("/", 2)
    if len(parts) == 3 and parts[1] in PAGE_KINDS:
        kind = PAGE_KINDS[parts[1]]
        return kind, clean_target(kind, unquote(parts[2]))
    raise InputError(
        "not a page one can follow (/en/hashtag/..., /en/source/..., /en/section/..., /en/story/...)",
        subject=path[:200],
    )


def follow_scope(follow_id: int) -> str:
    return f"follow:{follow_id}"


def section_scope(name: str) -> str:
    return f"section:{name}"


HOME_SCOPE = "home"


@dataclass(frozen=True)
class Muted:
    """What one reader mutes, resolved to ids: outlets and hashtags by id, keywords casefolded."""

    outlet_ids: frozenset[int] = frozenset()
    entity_ids: frozenset[int] = frozenset()
    keywords: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.outlet_ids or self.entity_ids or self.keywords)

    def hides_title(self, title: str) -> bool:
        folded = title.casefold()
        return any(keyword in folded for keyword in self.keywords)
