"""Who said what: direct quotes in any quoting style, reported speech, each with its speaker resolved.

Quote marks are paired with a stack over each paragraph (straight or curly, single or double, nested, and the
newspaper habit of leaving a quote open at a paragraph end when the next paragraph carries on). The speaker
comes from the speech verb next to the quote (its subject in spaCy's parse), resolved to a hashtag: names and
short forms through the article's hashtags, roles ("the Home Secretary") through who the article says holds
them, pronouns through the most recent compatible subject. When nothing resolves, the speaker stays None.
French, German and Spanish quotations (their marks too: „…“, »…«, « … ») are attributed without the parse,
which is English: by a speech word of the language beside the quotation and the known name nearest it; where
no person or organisation is known there (German names no people), the name written there is kept as a hint
for the story to resolve. Reported speech in French and Spanish is read from their own pipelines' parse.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storyline import nlp
from storyline.domain import Article, Hashtag, Quote
from storyline.enrich.entities import HONORIFIC_GENDER, ROLE_WORDS, article_docs, match_hashtag

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

MIN_QUOTE_WORDS = 4
PRONOUN_LOOKBACK = 5
SPEECH_VERBS = frozenset(
    "say tell add insist warn claim state argue reply write explain confirm declare announce note admit "
    "acknowledge stress urge pledge vow respond comment remark continue accuse conclude suggest ask find refer "
    "cite describe".split()
)
REPORT_VERBS = frozenset("say tell insist warn claim argue confirm declare announce admit stress pledge".split())
# The same in French and Spanish, as lemmas of their own pipelines, which parse their reported speech as English
# is parsed ("a déclaré que …", "dijo que …": the verb's subject and its clausal complement), and the word for
# "according to".
FOREIGN_REPORT_VERBS = {
    "fr": frozenset(
        "dire déclarer affirmer annoncer estimer expliquer assurer souligner indiquer préciser insister avertir "
        "ajouter rappeler reconnaître confirmer prévenir".split()
    ),
    "es": frozenset(
        "decir declarar afirmar anunciar asegurar explicar señalar indicar advertir subrayar insistir añadir "
        "reconocer sostener confirmar manifestar".split()
    ),
}
ACCORDING_TO = {"fr": "selon", "es": "según"}
COMPLEMENTISERS = frozenset({"that", "que", "qu'", "qu’"})  # "said that …": the clause starts after it
SPOKESPEOPLE = frozenset({"spokesman", "spokeswoman", "spokesperson", "spokespeople"})
ROLE_PHRASES = (
    "deputy prime minister", "shadow home secretary", "shadow chancellor", "home secretary", "foreign secretary",
    "justice secretary", "health secretary", "education secretary", "prime minister", "pm", "premier",
    "chancellor", "children's commissioner", "opposition leader", "tory leader", "labour leader", "reform leader",
    "peer",
)  # fmt: skip
PEERAGE_HONORIFICS = ("baroness", "lord", "baron", "lady")
ROLE_SYNONYMS = {"pm": "prime minister", "premier": "prime minister"}
ROLE_PATTERN = "|".join(re.escape(role) for role in ROLE_PHRASES)
NAME_PATTERN = r"[A-Z][\w'’-]+(?:\s+(?:de\s+|van\s+|von\s+)?[A-Z][\w'’-]+){0,3}"
ROLE_BEFORE_NAME = re.compile(rf"(?i:\b(?:the\s+)?({ROLE_PATTERN}))\s*,?\s+({NAME_PATTERN})")
NAME_BEFORE_ROLE = re.compile(rf"({NAME_PATTERN}),\s+(?i:the\s+(?:former\s+)?({ROLE_PATTERN}))\b")
# Words that say, outside a quotation and in its sentence, that it was spoken, in the languages whose text the
# English parse cannot read for a speech verb and its subject: stems ("déclar" is "a déclaré" and "déclare"),
# and "selon"/"laut"/"según" X. The speaker is then the known person or organisation named nearest the quotation.
SPEECH_CUES = {
    "fr": re.compile(
        r"\b(?:déclar|affirm|ajout|estim|expliqu|annonc|assur|soulign|indiqu|précis|insist|avert|dénonc|martel"
        r"|répond|rappel|confi|lanc|selon\b|dit\b)|-t-(?:il|elle)\b",
        re.IGNORECASE,
    ),
    "de": re.compile(
        r"\b(?:sagt|erklärt|betont|meint|fügt|warnt|kündigt|schreibt|versichert|kritisiert|räumt|unterstreicht"
        r"|antwortet|so\b|laut\b|zufolge\b)",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"\b(?:dij|dice|declar|afirm|añad|señal|explic|asegur|indic|advirt|subray|insist|manifest|sostuv|agreg"
        r"|apunt|reconoc|respond|según\b)",
        re.IGNORECASE,
    ),
}
WORD = re.compile(r"[^\W\d_][\w'’-]*")
MAX_HINT_WORDS = 4  # "Premierminister Keir Starmer": a role and a name at most
FEMALE_PRONOUNS = frozenset({"she", "her"})
MALE_PRONOUNS = frozenset({"he", "him"})
# Quotation marks by the family they open; each family's closing marks. German opens with „ and closes with “
# (which opens in English) and may write »…«; French and Spanish write «…». A mark that could close an open
# family closes it; otherwise it may open its own.
OPENING_MARKS = {"“": '"', "‘": "'", "„": "„", "‚": "‚", "«": "«", "»": "»"}
CLOSING_MARKS = {'"': '"”', "'": "'’", "„": "“”", "‚": "‘’", "«": "»", "»": "«"}
CURLY_CLOSERS = frozenset("”’")
STRAIGHT_MARKS = frozenset({'"', "'"})


@dataclass(slots=True)
class QuoteSpan:
    start: int  # offset of the first character inside the marks
    end: int  # offset just past the last character inside
    continues_previous: bool = False  # the same speaker carrying on after a paragraph or sentence break


@dataclass(slots=True)
class _Context:
    """What speaker resolution needs to know about one article."""

    docs: list["Doc"]
    hashtags: list[Hashtag]
    roles: dict[str, Hashtag]
    genders: dict[str, str]
    subjects: list[Hashtag | None]
    language: str = "en"


# --- quote marks ---------------------------------------------------------------------------------------------


def _mark_roles(text: str, i: int) -> tuple[str | None, frozenset[str]]:
    """The family the character at ``i`` may open (None if none) and the families it may close."""
    char = text[i]
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    closes = frozenset(family for family, marks in CLOSING_MARKS.items() if char in marks)
    if char in CURLY_CLOSERS | STRAIGHT_MARKS and before.isalnum() and after.isalnum():
        return None, frozenset()  # an apostrophe: don’t, l'État
    if char not in STRAIGHT_MARKS:
        return OPENING_MARKS.get(char), closes
    elided = char == "'" and after in "stST" and not text[i + 2 : i + 3].isalpha()  # Starmer 's, 'tis
    can_open = not before.isalnum() and not after.isspace() and not elided
    can_close = not before.isspace() and not after.isalnum()
    return (char if can_open else None), (closes if can_close else frozenset())


def find_quote_spans(text: str) -> list[QuoteSpan]:
    """Outermost quoted passages, paired paragraph by paragraph.

    A passage left open at a paragraph end continues when the next paragraph opens with a quote mark.
    """
    spans: list[QuoteSpan] = []
    offset = 0
    left_open = False
    for paragraph in text.split("\n"):
        found, still_open = _paragraph_spans(paragraph, offset)
        if found and left_open and not paragraph[: found[0].start - offset - 1].strip():
            found[0].continues_previous = True
        spans.extend(found)
        left_open = still_open or (left_open and not paragraph.strip())
        offset += len(paragraph) + 1
    return spans


def _paragraph_spans(paragraph: str, offset: int) -> tuple[list[QuoteSpan], bool]:
    """Pair the marks of one paragraph; an opener that never closes while later marks do was an apostrophe."""
    strays: set[int] = set()
    while True:
        spans, unclosed, continues = _pair_marks(paragraph, offset, strays)
        if unclosed is None:
            return spans, False
        if not _closes_later(paragraph, unclosed):
            spans.append(QuoteSpan(offset + unclosed + 1, offset + len(paragraph.rstrip()), continues))
            return spans, True
        strays.add(unclosed)


def _closes_later(paragraph: str, opener: int) -> bool:
    family = _mark_roles(paragraph, opener)[0]
    return any(family in _mark_roles(paragraph, i)[1] for i in range(opener + 1, len(paragraph)))


_SENTENCE_END = re.compile(r"[.?!…]['’\"”»“«]?\s+$")


def _pair_marks(paragraph: str, offset: int, strays: set[int]) -> tuple[list[QuoteSpan], int | None, bool]:
    """Outermost spans, the outermost opener left unclosed (None when all closed), and whether that one
    continues the passage before it."""
    stack: list[tuple[str, int]] = []
    spans: list[QuoteSpan] = []
    continues = False
    for i in range(len(paragraph)):
        opens, closes = _mark_roles(paragraph, i)
        if (opens is None and not closes) or i in strays:
            continue
        closed = next((family for family, _ in reversed(stack) if family in closes), None)
        if closed is not None:
            while stack[-1][0] != closed:
                stack.pop()
            _, start = stack.pop()
            if not stack:
                spans.append(QuoteSpan(offset + start + 1, offset + i, continues))
                continues = False
        elif opens is not None and len(stack) == 1 and stack[0][0] == opens and _SENTENCE_END.search(paragraph[:i]):
            # a paragraph break lost when the text was flattened: 'one paragraph. 'The next one...'
            spans.append(QuoteSpan(offset + stack[0][1] + 1, offset + len(paragraph[:i].rstrip()), continues))
            stack, continues = [(opens, i)], True
        elif opens is not None:
            stack.append((opens, i))
    return spans, (stack[0][1] if stack else None), continues


# --- sentences and offsets -----------------------------------------------------------------------------------


def _locate_sentences(article: Article) -> tuple[str, list[int]]:
    """The text quotes are read from and each sentence's offset in it.

    Sentences are substrings of the body; if they were built some other way, they are read joined by lines.
    """
    starts: list[int] = []
    cursor = 0
    for sentence in article.sentences:
        found = article.text.find(sentence, cursor)
        if found < 0:
            return _joined(article.sentences)
        starts.append(found)
        cursor = found + len(sentence)
    return article.text, starts


def _joined(sentences: Sequence[str]) -> tuple[str, list[int]]:
    starts, cursor = [], 0
    for sentence in sentences:
        starts.append(cursor)
        cursor += len(sentence) + 1
    return "\n".join(sentences), starts


def _sentence_at(starts: Sequence[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)


# --- who holds which role, and who is female or male ---------------------------------------------------------


def _role_holders(text: str, hashtags: Sequence[Hashtag]) -> dict[str, Hashtag]:
    """ "Home Secretary Yvette Cooper", "Yvette Cooper, the Home Secretary" -> {"home secretary": Yvette Cooper}."""
    holders: dict[str, Hashtag] = {}
    people = [tag for tag in hashtags if tag.kind == "person"]
    for match in ROLE_BEFORE_NAME.finditer(text):
        _record_role(holders, match.group(1), match.group(2), people)
    for match in NAME_BEFORE_ROLE.finditer(text):
        _record_role(holders, match.group(2), match.group(1), people)
    peers = {
        tag.slug: tag
        for match in re.finditer(rf"(?i:\b(?:{'|'.join(PEERAGE_HONORIFICS)}))\s+({NAME_PATTERN})", text)
        if (tag := match_hashtag(match.group(1), people, ("person",))) is not None
    }
    if len(peers) == 1:
        holders.setdefault("peer", next(iter(peers.values())))  # "the peer" when only one is named
    return holders


def _record_role(holders: dict[str, Hashtag], role: str, name: str, people: Sequence[Hashtag]) -> None:
    role_key = _role_key(role)
    person = match_hashtag(name, people, ("person",))
    if role_key and person is not None:
        holders.setdefault(role_key, person)


def _role_key(phrase: str) -> str | None:
    lowered = " ".join(phrase.lower().replace("’", "'").split())
    matches = [role for role in ROLE_PHRASES if re.search(rf"(?<![\w-]){re.escape(role)}(?![\w-])", lowered)]
    if not matches:
        return None
    role = max(matches, key=len)
    return ROLE_SYNONYMS.get(role, role)


def _genders(text: str, hashtags: Sequence[Hashtag]) -> dict[str, str]:
    """Gender only where an honorific states it ("Ms Cooper", "Sir Keir"): no guessing from first names."""
    genders: dict[str, str] = {}
    honorifics = "|".join(h for h, g in HONORIFIC_GENDER.items() if g)
    for match in re.finditer(rf"\b((?i:{honorifics}))\.?\s+({NAME_PATTERN})", text):
        gender = HONORIFIC_GENDER[match.group(1).lower()]
        person = match_hashtag(match.group(2), hashtags, ("person",))
        if person is not None and gender:
            genders.setdefault(person.slug, gender)
    return genders


# --- speakers ------------------------------------------------------------------------------------------------


def _speech_verbs(doc: "Doc") -> list["Token"]:
    return [t for t in doc if t.lemma_.lower() in SPEECH_VERBS and t.pos_ in ("VERB", "AUX")]


def _subject_of(verb: "Token") -> "Token | None":
    """The verb's subject, climbing from "adding" or "and told" to the verb that has one."""
    for _ in range(4):
        subjects = [child for child in verb.children if child.dep_ == "nsubj"]
        if subjects:
            return subjects[0]
        if verb.dep_ not in ("advcl", "conj", "xcomp") or verb.head.i == verb.i:
            return None
        verb = verb.head
    return None


def _phrase(token: "Token") -> str:
    """The name or role a subject token stands for: its entity, else its compound and modifier chain."""
    doc = token.doc
    for ent in doc.ents:
        if ent.start <= token.i < ent.end:
            start = ent.start
            while start > 0 and doc[start - 1].text.lower().rstrip(".") in HONORIFIC_GENDER:
                start -= 1
            return doc[start : ent.end].text
    left = token.i
    while left > 0 and doc[left - 1].dep_ in ("compound", "amod", "nmod", "flat") and doc[left - 1].head.i >= left:
        left -= 1
    return doc[left : token.i + 1].text


def _resolve_subject(token: "Token", sentence: int, ctx: _Context) -> Hashtag | None:
    lowered = token.lower_
    if lowered in FEMALE_PRONOUNS | MALE_PRONOUNS:
        return _resolve_pronoun(lowered, sentence, ctx, before=token.idx)
    if token.pos_ == "PRON":
        return None
    for candidate in [token, *(child for child in token.children if child.dep_ == "appos")]:
        tag = _resolve_phrase(candidate, ctx)
        if tag is not None:
            return tag
    # "the children's commissioner for England, Rachel de Souza": the person named inside the subject
    subtree = token.doc[token.left_edge.i : token.right_edge.i + 1]
    return next((tag for tag in _people_in_text(subtree.text, ctx.hashtags)), None)


def _resolve_phrase(token: "Token", ctx: _Context) -> Hashtag | None:
    phrase = _phrase(token)
    named = token.lower_ not in ROLE_WORDS and token.lower_ not in SPOKESPEOPLE  # "the Labour MP" is no party
    tag = match_hashtag(phrase, ctx.hashtags) if named else None
    if tag is not None:
        return tag
    role = _role_key(phrase)
    if role is not None:
        return ctx.roles.get(role)
    if token.lower_ in SPOKESPEOPLE:
        owner = " ".join(t.text for t in token.lefts if t.dep_ in ("compound", "nmod", "poss"))
        return match_hashtag(owner, ctx.hashtags, ("org",)) if owner else None
    return None


def _compatible(tag: Hashtag, pronoun: str, ctx: _Context) -> bool:
    gender = ctx.genders.get(tag.slug)
    if tag.kind != "person":
        return False
    if gender is None:
        return True
    return (gender == "f") == (pronoun in FEMALE_PRONOUNS)


def _resolve_pronoun(pronoun: str, sentence: int, ctx: _Context, before: int) -> Hashtag | None:
    """The most recent compatible subject, else the most recent compatible person mentioned."""
    same_sentence = [tag for tag in _people_in(sentence, ctx, before) if _compatible(tag, pronoun, ctx)]
    if same_sentence:
        return same_sentence[0]
    for previous in range(sentence - 1, max(-1, sentence - 1 - PRONOUN_LOOKBACK), -1):
        subject = ctx.subjects[previous] if previous < len(ctx.subjects) else None
        named = _people_in(previous, ctx, None)
        for tag in [subject, *named] if subject is not None else named:
            if _compatible(tag, pronoun, ctx):
                return tag
    return None


def _people_in(sentence: int, ctx: _Context, before: int | None) -> list[Hashtag]:
    """People named in a sentence (before a character offset, if given), first named first."""
    text = ctx.docs[sentence].text[:before] if before is not None else ctx.docs[sentence].text
    return _people_in_text(text, [tag for tag in ctx.hashtags if sentence in tag.sentences])


def _people_in_text(text: str, hashtags: Sequence[Hashtag]) -> list[Hashtag]:
    found = []
    for tag in hashtags:
        if tag.kind == "person":
            positions = [m.start() for word in tag.name.split() for m in re.finditer(rf"\b{re.escape(word)}\b", text)]
            if positions:
                found.append((min(positions), tag))
    return [tag for _, tag in sorted(found, key=lambda pair: pair[0])]


def _main_subject(index: int, ctx: _Context) -> Hashtag | None:
    root = next((t for t in ctx.docs[index] if t.dep_ == "ROOT"), None)
    subject = _subject_of(root) if root is not None else None
    return _resolve_subject(subject, index, ctx) if subject is not None else None


def _sentence_subjects(ctx: _Context) -> list[Hashtag | None]:
    """Each sentence's main subject as a hashtag, in reading order so that pronouns chain; none in other
    languages than English, whose text the English parse cannot read for subjects."""
    for index in range(len(ctx.docs)):
        ctx.subjects.append(_main_subject(index, ctx) if ctx.language == "en" else None)
    return ctx.subjects


# --- direct quotes -------------------------------------------------------------------------------------------


def _clean_quote(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:-–—").strip()


def _attribution(span: QuoteSpan, text: str, starts: Sequence[int], ctx: _Context) -> Hashtag | None | bool:
    """The speaker, None when a verb names an unknown one, False when no speech verb is near."""
    if ctx.language != "en":
        return _attribution_by_cue(span, text, starts, ctx)
    first, last = _sentence_at(starts, span.start), _sentence_at(starts, max(span.start, span.end - 1))
    tail = [v for v in _speech_verbs(ctx.docs[last]) if starts[last] + v.idx > span.end]
    prefix = [v for v in _speech_verbs(ctx.docs[first]) if starts[first] + v.idx < span.start - 1]
    candidates: list[tuple[Token, int]] = []
    if tail and starts[last] + tail[0].idx - span.end < 25:
        candidates.append((tail[0], last))
    candidates.extend((verb, first) for verb in reversed(prefix))
    if not prefix and first > 0 and ctx.docs[first - 1].text.rstrip().endswith(":"):
        earlier = _speech_verbs(ctx.docs[first - 1])
        if earlier:
            candidates.append((earlier[-1], first - 1))
    if tail:
        candidates.append((tail[0], last))
    for verb, sentence in candidates:
        subject = _subject_of(verb)
        tag = _resolve_subject(subject, sentence, ctx) if subject is not None else None
        if tag is not None:
            return tag
    return None if candidates else False


def _attribution_by_cue(span: QuoteSpan, text: str, starts: Sequence[int], ctx: _Context) -> Hashtag | None | bool:
    """In French, German and Spanish: when the text around the quotation in its sentences (and the sentence
    before, when the quotation opens its own after a colon) holds a speech cue, the known person or organisation
    named nearest the quotation there, else None; False with no cue, or in a language without cues."""
    cues = SPEECH_CUES.get(ctx.language)
    if cues is None:
        return False
    lead, tail = _surroundings(span, text, starts)
    if not any(cues.search(text[start:end]) for start, end in (lead, tail)):
        return False
    nearest: tuple[int, Hashtag] | None = None
    for tag in ctx.hashtags:
        for form in _spoken_forms(tag):
            for match in re.finditer(rf"(?<!\w){re.escape(form)}(?!\w)", text[lead[0] : tail[1]]):
                distance = _distance(lead, tail, lead[0] + match.start(), len(form))
                if distance is not None and (nearest is None or distance < nearest[0]):
                    nearest = (distance, tag)
    return nearest[1] if nearest is not None else None


def _surroundings(span: QuoteSpan, text: str, starts: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The text before the quotation in its sentence (from the sentence before, when the quotation opens its own
    after a colon) and after it in its last sentence, as (start, end) offsets."""
    first, last = _sentence_at(starts, span.start), _sentence_at(starts, max(span.start, span.end - 1))
    lead_start = starts[first]
    if first > 0 and not text[lead_start : span.start - 1].strip() and text[:lead_start].rstrip().endswith(":"):
        lead_start = starts[first - 1]
    return (lead_start, span.start - 1), (span.end + 1, starts[last + 1] if last + 1 < len(starts) else len(text))


def _distance(lead: tuple[int, int], tail: tuple[int, int], at: int, length: int) -> int | None:
    """How far a name at ``at`` stands from the quotation, None when it is in neither of its surroundings."""
    if lead[0] <= at < lead[1]:
        return lead[1] - (at + length)
    if tail[0] <= at < tail[1]:
        return at - tail[0]
    return None


def _name_beside(span: QuoteSpan, text: str, starts: Sequence[int], ctx: _Context) -> str | None:
    """For a quotation ``_attribution_by_cue`` found a speech cue beside but no speaker for: the run of
    capitalised words nearest it ("sagte Cooper"), which the story's analysis keeps only if it names one of the
    story's people or organisations (``speaker_hint``). German has no entity pipeline to name speakers; French and
    Spanish have small ones, which miss names or take a person for a place (the French pipeline reads "a déclaré
    Yvette Cooper" as a place)."""
    lead, tail = _surroundings(span, text, starts)
    runs = [
        (distance, " ".join(words))
        for at, words in _capitalised_runs(text, lead[0], tail[1])
        if (distance := _distance(lead, tail, at, len(" ".join(words)))) is not None
    ]
    return min(runs)[1] if runs else None


def _capitalised_runs(text: str, start: int, end: int) -> Iterator[tuple[int, list[str]]]:
    """Each run of capitalised words between ``start`` and ``end`` that only spaces part, with its offset."""
    run: tuple[int, int, list[str]] | None = None
    for match in WORD.finditer(text, start, end):
        if not match.group(0)[0].isupper():
            if run is not None:
                yield run[0], run[2]
            run = None
        elif run is not None and text[run[1] : match.start()].isspace() and len(run[2]) < MAX_HINT_WORDS:
            run = (run[0], match.end(), [*run[2], match.group(0)])
        else:
            if run is not None:
                yield run[0], run[2]
            run = (match.start(), match.end(), [match.group(0)])
    if run is not None:
        yield run[0], run[2]


def _spoken_forms(tag: Hashtag) -> tuple[str, ...]:
    """A speaker's name and, for a person, the surname articles name them by ("sagte Cooper")."""
    surname = tag.name.split()[-1] if tag.kind == "person" and " " in tag.name else None
    return (tag.name, surname) if surname and len(surname) > 2 else (tag.name,)


def _direct_quotes(text: str, starts: Sequence[int], ctx: _Context) -> tuple[list[Quote], set[int]]:
    """The quotes, and every sentence they cover (reported speech is not looked for there).

    A quote with no speech verb near it that opens a sentence right after another quote carries on from
    that one's speaker. A speaker found becomes the subject of the sentences quoted, for later pronouns.
    """
    quotes: list[Quote] = []
    covered: set[int] = set()
    previous: Quote | None = None
    previous_end = -10
    for span in find_quote_spans(text):
        body = _clean_quote(text[span.start : span.end])
        sentence, last = _sentence_at(starts, span.start), _sentence_at(starts, max(span.start, span.end - 1))
        if span.continues_previous and previous is not None:
            previous.text = f"{previous.text} {body}"
        elif len(body.split()) >= MIN_QUOTE_WORDS:
            speaker = _attribution(span, text, starts, ctx)
            # None (not False) from the cue path: a cue stood beside the quotation and no hashtag named its speaker
            hint = _name_beside(span, text, starts, ctx) if speaker is None and ctx.language != "en" else None
            if speaker is False:
                speaker = _carried_speaker(span, sentence, starts, previous, previous_end, ctx)
            tag = speaker if isinstance(speaker, Hashtag) else None
            previous = Quote(body, tag.name if tag else None, tag.slug if tag else None, sentence, "direct", hint)
            quotes.append(previous)
        else:
            continue
        previous_end = last
        covered.update(range(sentence, last + 1))
        if previous.speaker_slug is not None:
            speaker_tag = _tag_of(previous)
            for index in range(sentence, min(last + 1, len(ctx.subjects))):
                ctx.subjects[index] = ctx.subjects[index] or speaker_tag
    return quotes, covered


def _carried_speaker(
    span: QuoteSpan, sentence: int, starts: Sequence[int], previous: Quote | None, previous_end: int, ctx: _Context
) -> Hashtag | None:
    """A quote opening a sentence, with no verb of its own: the previous quote's speaker if it just ended,
    else whoever the previous sentence has speaking ("He insisted that ... 'From the start ...'")."""
    if span.start - 1 > starts[sentence] or sentence == 0:
        return None
    if previous is not None and previous_end >= sentence - 1:
        return _tag_of(previous)
    if ctx.language == "en" and _speech_verbs(ctx.docs[sentence - 1]):
        return _main_subject(sentence - 1, ctx)  # again: quotes since found may resolve its pronoun now
    return None


def _tag_of(quote: Quote) -> Hashtag | None:
    if quote.speaker is None or quote.speaker_slug is None:
        return None
    return Hashtag(quote.speaker, "person", quote.speaker_slug)


# --- reported speech -----------------------------------------------------------------------------------------


def _reported(ctx: _Context, sentences: Sequence[str], quoted_sentences: set[int]) -> list[Quote]:
    """ "X said (that) ...", "according to X, ..." with X a known person or organisation; in French and
    Spanish read from their own pipeline's parse, in other languages not at all."""
    if ctx.language == "en":
        docs, said_that, according_to = ctx.docs, _said_that, _according_to
    elif ctx.language in FOREIGN_REPORT_VERBS:
        docs = list(nlp.parse_in_language(ctx.language, tuple(sentences)) or ())
        said_that, according_to = _foreign_said_that, _foreign_according_to
    else:
        return []
    quotes = []
    for index, doc in enumerate(docs):
        if index in quoted_sentences:
            continue
        found = according_to(doc, index, ctx) or said_that(doc, index, ctx)
        if found is not None:
            quotes.append(found)
    return quotes


def _said_that(doc: "Doc", index: int, ctx: _Context) -> Quote | None:
    for verb in doc:
        if verb.lemma_.lower() not in REPORT_VERBS or verb.pos_ != "VERB":
            continue
        clauses = [child for child in verb.children if child.dep_ == "ccomp"]
        subject = next((child for child in verb.children if child.dep_ == "nsubj"), None)
        if not clauses or subject is None:
            continue
        tag = _resolve_subject(subject, index, ctx)
        if tag is None:
            continue
        clause = doc[clauses[0].left_edge.i : clauses[0].right_edge.i + 1]
        return _reported_quote(clause, tag, index)
    return None


def _according_to(doc: "Doc", index: int, ctx: _Context) -> Quote | None:
    for token in doc:
        if token.lower_ == "according" and token.i + 2 < len(doc) and doc[token.i + 1].lower_ == "to":
            objects = [t for t in doc[token.i + 1].children if t.dep_ == "pobj"]
            tag = _resolve_phrase(objects[0], ctx) if objects else None
            if tag is None:
                return None
            phrase_end = doc[token.i + 1].right_edge.i + 1
            rest = doc[phrase_end:] if token.i == 0 else doc[: token.i]
            return _reported_quote(rest, tag, index)
    return None


def _foreign_said_that(doc: "Doc", index: int, ctx: _Context) -> Quote | None:
    """``_said_that`` on a French or Spanish parse (Universal Dependencies, as English's): the speaker is the
    verb's subject when it names a known person or organisation."""
    for verb in doc:
        if verb.lemma_.lower() not in FOREIGN_REPORT_VERBS[ctx.language] or verb.pos_ != "VERB":
            continue
        clause = next((child for child in verb.children if child.dep_ == "ccomp"), None)
        subject = next((child for child in verb.children if child.dep_ == "nsubj"), None)
        tag = match_hashtag(_subtree_text(subject), ctx.hashtags) if subject is not None else None
        if clause is not None and tag is not None:
            return _reported_quote(doc[clause.left_edge.i : clause.right_edge.i + 1], tag, index)
    return None


def _foreign_according_to(doc: "Doc", index: int, ctx: _Context) -> Quote | None:
    """``_according_to`` on a French or Spanish parse: "Selon X, …" / "…, según X"."""
    for token in doc:
        if token.lower_ != ACCORDING_TO[ctx.language] or token.dep_ != "case" or token.head.i == token.i:
            continue
        named = token.head
        tag = match_hashtag(_subtree_text(named, without=token), ctx.hashtags)
        if tag is None:
            return None
        rest = doc[named.right_edge.i + 1 :] if token.i == 0 else doc[: token.i]
        return _reported_quote(rest, tag, index) if len(rest) else None
    return None


def _subtree_text(token: "Token", without: "Token | None" = None) -> str:
    """The words ``token`` heads, but ``without`` ("selon" in "selon Louise Casey")."""
    skipped = without.i if without is not None else -1
    return " ".join(t.text for t in token.subtree if t.i != skipped)


def _reported_quote(span: "Span", tag: Hashtag, sentence: int) -> Quote | None:
    words = [t for t in span if not (t.i == span.start and t.lower_ in COMPLEMENTISERS)]
    text = _clean_quote(span.doc[words[0].i : words[-1].i + 1].text).rstrip(".") if words else ""
    if len(text.split()) < MIN_QUOTE_WORDS:
        return None
    return Quote(text, tag.name, tag.slug, sentence, "reported")


# --- entry point ---------------------------------------------------------------------------------------------


def extract_quotes(article: Article, hashtags: list[Hashtag]) -> list[Quote]:
    if not article.sentences:
        return []
    text, starts = _locate_sentences(article)
    speakers = [tag for tag in hashtags if tag.kind in ("person", "org")]
    ctx = _Context(
        docs=article_docs(article)[1],
        hashtags=speakers,
        roles=_role_holders(text, speakers),
        genders=_genders(f"{article.title}\n{text}", speakers),
        subjects=[],
        language=nlp.primary_language(article.language),
    )
    _sentence_subjects(ctx)
    direct, covered = _direct_quotes(text, starts, ctx)
    return sorted(direct + _reported(ctx, article.sentences, covered), key=lambda quote: quote.sentence)
