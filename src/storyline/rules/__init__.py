"""Filter rules and title rewrites: pure functions over compiled patterns, no database.

A rule keeps or blocks articles whose field (title, body, author, URL, outlet, or any of them) matches its
pattern: plain words (case-insensitive, whole words, alternatives separated by commas) or a regular
expression. Semantics as in Miniflux: an article that matches a block rule is dropped; when any keep rule
applies, only articles that match a keep rule are kept.

Patterns are administrators' input and articles are strangers' input, so every search runs under the ``regex``
package's ``timeout``: a catastrophic pattern costs at most ``MATCH_TIMEOUT_S`` an article and field, and is
caught on save when it already backtracks on probe strings built from its own characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from storyline.errors import InputError
from storyline.logs import get_logger

log = get_logger("rules")

ACTIONS = ("block", "keep")
FIELDS = ("any", "title", "body", "author", "url", "outlet")
KINDS = ("words", "regex")
MAX_PATTERN = 500
MAX_REPLACEMENT = 500
MAX_TITLE = 1000
MATCH_TIMEOUT_S = 0.05  # a search of one field of one article
PROBE_TIMEOUT_S = 0.05
PROBE_LENGTH = 3000
MAX_PROBES = 16
MAX_FIELD_CHARS = 100_000  # a body longer than this is matched on its first part


@dataclass(frozen=True, slots=True)
class Fields:
    """What a rule can look at in one incoming article."""

    title: str = ""
    body: str = ""
    author: str = ""
    url: str = ""
    outlet: str = ""

    def get(self, field: str) -> list[str]:
        if field == "any":
            return [self.title, self.body, self.author, self.url, self.outlet]
        return [getattr(self, field)]


@dataclass(frozen=True, slots=True)
class Rule:
    id: int | None
    action: str
    field: str
    kind: str
    pattern: str
    compiled: regex.Pattern
    feed_id: int | None = None  # None: the rule applies to every article

    def applies_to(self, feed_id: int | None) -> bool:
        return self.feed_id is None or self.feed_id == feed_id


@dataclass(frozen=True, slots=True)
class Decision:
    keep: bool
    rule_id: int | None  # the rule that blocked it, or the keep rule it matched; None when no rule decided


def compile_pattern(kind: str, pattern: str) -> regex.Pattern:
    """The pattern compiled, or ``InputError`` saying why not (empty, too long, not compilable, too slow)."""
    if kind not in KINDS:
        raise InputError(f"the kind of pattern must be one of {', '.join(KINDS)}")
    pattern = pattern.strip()
    if not pattern:
        raise InputError("the pattern is empty")
    if len(pattern) > MAX_PATTERN:
        raise InputError(f"patterns are at most {MAX_PATTERN} characters")
    source = words_expression(pattern) if kind == "words" else pattern
    try:
        compiled = regex.compile(source, flags=regex.IGNORECASE if kind == "words" else 0)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise InputError(f"the regular expression does not compile: {exc}") from exc
    _probe(compiled)
    return compiled


def words_expression(words: str) -> str:
    """Plain words as an expression: each comma-separated phrase, as whole words, any of them."""
    phrases = [" ".join(phrase.split()) for phrase in words.split(",")]
    phrases = [phrase for phrase in phrases if phrase]
    if not phrases:
        raise InputError("the pattern has no words")
    escaped = (r"\s+".join(regex.escape(word) for word in phrase.split(" ")) for phrase in phrases)
    return r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)"


def _probe(compiled: regex.Pattern) -> None:
    """Refuses a pattern that backtracks catastrophically on runs of its own characters (``(a+)+$`` on "aaa…!")."""
    characters = [c for c in dict.fromkeys(compiled.pattern) if c.isalnum() or c == " "]
    for character in ([*characters, "a", " "])[:MAX_PROBES]:
        for probe in (character * PROBE_LENGTH, character * PROBE_LENGTH + "!\n"):
            try:
                compiled.search(probe, timeout=PROBE_TIMEOUT_S)
            except TimeoutError as exc:
                raise InputError("the regular expression is too slow (it backtracks catastrophically)") from exc


def make_rule(
    rule_id: int | None, action: str, field: str, kind: str, pattern: str, feed_id: int | None = None
) -> Rule:
    """A checked rule; ``InputError`` for any value outside the choices or a bad pattern."""
    if action not in ACTIONS:
        raise InputError(f"the action must be one of {', '.join(ACTIONS)}")
    if field not in FIELDS:
        raise InputError(f"the field must be one of {', '.join(FIELDS)}")
    return Rule(rule_id, action, field, kind, pattern.strip(), compile_pattern(kind, pattern), feed_id)


def compile_stored(rows: Iterable) -> list[Rule]:
    """Rules from stored rows (anything with id, feed_id, action, field, kind, pattern); a row that no longer compiles
    (stored before a check existed, or edited by hand) is skipped with a warning rather than stopping imports."""
    rules = []
    for row in rows:
        try:
            rules.append(make_rule(row.id, row.action, row.field, row.kind, row.pattern, row.feed_id))
        except InputError as exc:
            log.warning("filter rule skipped", rule=row.id, error=str(exc))
    return rules


def matches(rule: Rule, fields: Fields) -> bool | None:
    """True or False; None when the search ran out of time (the caller decides what that means)."""
    for value in fields.get(rule.field):
        if not value:
            continue
        try:
            if rule.compiled.search(value[:MAX_FIELD_CHARS], timeout=MATCH_TIMEOUT_S):
                return True
        except TimeoutError:
            log.warning("filter rule timed out", rule=rule.id, pattern=rule.pattern[:100])
            return None
    return False


def decide(rules: Sequence[Rule], fields: Fields) -> Decision:
    """Block rules first: the first that matches drops the article. Then, when there are keep rules, the article
    is kept only if one matches. A search that times out never drops an article: a block rule that times out
    does not block, and a keep rule that times out keeps."""
    for rule in rules:
        if rule.action == "block" and matches(rule, fields) is True:
            return Decision(False, rule.id)
    keeps = [rule for rule in rules if rule.action == "keep"]
    if not keeps:
        return Decision(True, None)
    for rule in keeps:
        if matches(rule, fields) is not False:
            return Decision(True, rule.id)
    return Decision(False, None)


# Title rewrites --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rewrite:
    compiled: regex.Pattern
    replacement: str


def make_rewrite(pattern: str, replacement: str) -> Rewrite:
    """A checked title rewrite: the expression compiles and is fast, the replacement names only groups it has."""
    if len(replacement) > MAX_REPLACEMENT:
        raise InputError(f"replacements are at most {MAX_REPLACEMENT} characters")
    compiled = compile_pattern("regex", pattern)
    try:
        _check_template(compiled, replacement)
        compiled.sub(replacement, "A sample title", timeout=PROBE_TIMEOUT_S)
    except (regex.error, IndexError, TimeoutError) as exc:
        raise InputError(f"the replacement is not valid for this expression: {exc}") from exc
    return Rewrite(compiled, replacement)


def _check_template(compiled: regex.Pattern, replacement: str) -> None:
    """Every group the replacement names exists (a sample title may not match, so ``sub`` alone cannot tell)."""
    groups, names = compiled.groups, set(compiled.groupindex)
    for reference in regex.finditer(r"\\(\d+)|\\g<([^>]*)>", replacement):
        number, name = reference.group(1), reference.group(2)
        if number is not None and int(number) > groups:
            raise regex.error(f"invalid group reference {number}")
        if name is not None and not (name.isdigit() and int(name) <= groups) and name not in names:
            raise regex.error(f"unknown group name {name!r}")


def rewrite_title(rewrite: Rewrite | None, title: str | None) -> str | None:
    """The title rewritten; the original when there is no rewrite, the search times out, or nothing is left."""
    if rewrite is None or not title:
        return title
    try:
        rewritten = rewrite.compiled.sub(rewrite.replacement, title, timeout=MATCH_TIMEOUT_S)
    except (TimeoutError, regex.error, IndexError) as exc:
        log.warning("title rewrite failed", pattern=rewrite.compiled.pattern[:100], error=str(exc))
        return title
    rewritten = " ".join(rewritten.split())[:MAX_TITLE]
    return rewritten or title
