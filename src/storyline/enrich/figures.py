"""Key figures: the numbers an article gives and what each one counts, and where outlets disagree on them.

spaCy finds the number spans (its CARDINAL, MONEY, PERCENT and QUANTITY entities) and the noun each one
modifies; dates, times, ages, page counts and numbers inside names never qualify, because a key figure must
count something. Each figure also carries what makes it one quantity rather than another: the counted noun and
its modifiers, whose it is, whether it is a count or a forecast, its dates, and how exactly it is written.
``relation`` compares two figures on those: agree, disagree, or different things. Across a story, figures
that are the same quantity are grouped, flagged only when two of them disagree, and figures of the same noun
that count different things are listed as such.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

from storyline import nlp
from storyline.domain import Article, Citation, Figure
from storyline.enrich.entities import article_docs

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

NUMBER_LABELS = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "LAW", "EVENT"})
QUALIFIERS = re.compile(
    r"^(?:(?:more|fewer|less|greater|higher|lower|other)\s+than|almost|nearly|about|around|approximately|roughly|"
    r"at\s+least|at\s+most|as\s+(?:few|many|much|little)\s+as|up\s+to|over|under|some|just|only|a\s+record|"
    r"an\s+estimated|well\s+over|close\s+to)\s+",
    re.IGNORECASE,
)
UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1,
}  # fmt: skip
SCALES = {
    "hundred": 100, "thousand": 1_000, "k": 1_000, "million": 1_000_000, "m": 1_000_000, "mn": 1_000_000,
    "billion": 1_000_000_000, "bn": 1_000_000_000, "trillion": 1_000_000_000_000, "tn": 1_000_000_000_000,
    "dozen": 12,
}  # fmt: skip
FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5}
CURRENCIES = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "pounds": "GBP", "dollars": "USD", "euros": "EUR"}
PERCENT_MARKERS = re.compile(r"%|\bper\s*cent\b|\bpercent\b", re.IGNORECASE)
VAGUE = frozenset({"hundreds", "thousands", "millions", "billions", "dozens", "tens", "scores"})
POINTER_NOUNS = frozenset({"number", "total", "figure", "tally", "count", "proportion", "share", "rate"})
MODIFIER_DEPS = frozenset({"compound", "amod", "nmod"})
MAX_COUNTS_WORDS = 7
# A clause's head ends the climb from a number to what governs it: a reported clause, an adverbial one.
CLAUSE_DEPS = frozenset({"ROOT", "ccomp", "advcl", "relcl", "conj", "parataxis", "pcomp"})
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
AUX_DEPS = frozenset({"aux", "auxpass", "advmod", "acomp"})
FUTURE_WORDS = frozenset({
    "will", "would", "could", "may", "might", "shall", "'ll", "expect", "project", "forecast", "predict",
    "anticipate", "likely", "plan", "aim", "goal", "target", "pledge", "promise", "intend", "projection",
})  # fmt: skip
CHANGE_WORDS = frozenset({
    "rise", "fall", "increase", "decrease", "grow", "drop", "climb", "jump", "decline", "slip", "gain", "lose",
    "tick", "cut", "reduce", "soar", "plunge", "surge", "shrink", "up", "down",
})  # fmt: skip
CONTENT_POS = frozenset({"NOUN", "PROPN", "ADJ", "VERB"})
INCREMENT_WORDS = frozenset({"more", "additional", "extra", "further"})
LEVEL_VERBS = CHANGE_WORDS | {"be", "reach", "total", "stand", "hit", "top", "exceed", "surpass", "dip"}
ABOVE_VERBS = frozenset({"top", "exceed", "surpass"})
BOUNDS = (
    ("about", re.compile(r"\b(?:about|around|approximately|roughly|nearly|almost|some|an estimated|close to|"
                         r"estimated|just over|just under|more or less)\s*$")),
    ("above", re.compile(r"\b(?:more|greater|higher|larger)\s+than\s*$|\b(?:over|above|at least|in excess of|"
                         r"upwards of|exceeding|beyond|a minimum of)\s*$")),
    ("below", re.compile(r"\b(?:fewer|less|lower|smaller)\s+than\s*$|\b(?:under|below|up to|at most|as many as|"
                         r"as much as|no more than|a maximum of)\s*$")),
)  # fmt: skip
DATE_FILLERS = frozenset({"on", "in", "the", "of", "during", "by", "since", "as", "at", "for"})
ABOUT = 0.1  # "about 1,000" is 900 to 1,100


# French, German and Spanish write numbers with a decimal comma and a space (French), a no-break space or a dot
# between thousands ("1 000", "1.000", "3,5 %"), and name their scales otherwise ("milliard" is a billion and
# "billion" a trillion, "mil millones" is a billion). ``english_number`` rewrites such a number as English
# writes it, by the article's language: "1,000" is a thousand in English and one in French.
THOUSANDS_GAP = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009](?=\d{3}(?!\d))")
THOUSANDS_DOTS = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
DECIMAL_COMMA = re.compile(r"^\d+,\d+$")
FOREIGN_SCALES = {
    "fr": {"mille": "thousand", "million": "million", "millions": "million", "milliard": "billion",
           "milliards": "billion", "md": "bn", "mds": "bn", "mrd": "bn", "mrds": "bn", "billion": "trillion",
           "billions": "trillion"},
    "es": {"mil": "thousand", "millón": "million", "millon": "million", "millones": "million",
           "milmillones": "billion", "millardo": "billion", "millardos": "billion", "billón": "trillion",
           "billon": "trillion", "billones": "trillion"},
    "de": {"tausend": "thousand", "million": "million", "millionen": "million", "mio": "million",
           "milliarde": "billion", "milliarden": "billion", "mrd": "bn", "billion": "trillion",
           "billionen": "trillion"},
}  # fmt: skip
FOREIGN_PERCENT = re.compile(r"\b(?:pour\s*cent|por\s+ciento|prozent)\b", re.IGNORECASE)
FOREIGN_CURRENCIES = {
    "dollars": "dollars", "dollar": "dollars", "dólares": "dollars", "dólar": "dollars", "euros": "euros",
    "euro": "euros", "livres": "pounds", "libras": "pounds", "pfund": "pounds",
}  # fmt: skip


def english_number(text: str, language: str) -> str:
    """A number written in French, German or Spanish as English writes it ("plus de 2,5 milliards d'euros" ->
    "2.5 billion euros"): digits, scales, percent and currency kept, other words left out."""
    scales = FOREIGN_SCALES.get(language, {})
    text = FOREIGN_PERCENT.sub(" % ", THOUSANDS_GAP.sub("", text.lower()))
    text = re.sub(r"\bmil\s+millones\b", "milmillones", text) if language == "es" else text
    words = []
    for word in re.findall(r"\d[\d.,]*\d|\d|[^\W\d_]+|[%£$€¥]", text):
        if THOUSANDS_DOTS.match(word) or DECIMAL_COMMA.match(word):
            words.append(word.replace(".", "").replace(",", "."))
        elif word[0].isdigit() or word in "%£$€¥":
            words.append(word)
        elif word in scales or word in FOREIGN_CURRENCIES:
            words.append(scales.get(word) or FOREIGN_CURRENCIES[word])
    return " ".join(words)


def parse_number(text: str, language: str = "en") -> tuple[float, str | None] | None:
    """("more than £3bn") -> (3e9, "GBP"); None when the text holds no number. Other than English, a number is
    read as ``language`` writes it ("1.000" is a thousand in German, "3,5 %" is 3.5 per cent in French)."""
    if language in FOREIGN_SCALES:
        text = english_number(text, language)
    unit = next((code for mark, code in CURRENCIES.items() if mark in text.lower()), None)
    if PERCENT_MARKERS.search(text):
        unit = "%"
    words = PERCENT_MARKERS.sub(" ", text).lower()
    for mark in CURRENCIES:
        words = words.replace(mark, " ")
    words = QUALIFIERS.sub("", words.strip())
    words = re.sub(r"(\d)(bn|m|mn|k|tn)\b", r"\1 \2", words).replace("-", " ")
    split = words.replace(" and ", " ").split()
    if any(word in FRACTIONS for word in split[1:]):
        unit = "%"
    value = _words_value(split)
    return None if value is None else (value, unit)


def _words_value(words: Sequence[str]) -> float | None:
    total, current, seen = 0.0, 0.0, False
    for i, word in enumerate(words):
        number = _digits(word)
        if number is None and word in FRACTIONS and seen:
            return 100 * (total + current) / FRACTIONS[word]  # "two-thirds" as a percentage
        if number is None:
            number = UNITS_WORDS.get(word)
        if number is not None:
            current += number
            seen = True
        elif word in SCALES and (seen or i == 0):
            current = (current or 1) * SCALES[word]
            if SCALES[word] >= 1_000:
                total, current = total + current, 0.0
            seen = True
        elif seen:
            break
    return total + current if seen else None


def _digits(word: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+", word):
        return float(word.replace(",", ""))
    return None


def extract_figures(article: Article) -> list[Figure]:
    """The article's figures; French and Spanish ones read by their own language's pipeline
    (``foreign_sentence_figures``), German ones from its words alone (``german_sentence_figures``), none in
    other languages."""
    language = nlp.primary_language(article.language)
    figures: list[Figure] = []
    if language == "en":
        for sentence, doc in enumerate(article_docs(article)[1]):
            figures.extend(_sentence_figures(doc, sentence))
        return figures
    if language == "de":
        for sentence, doc in enumerate(nlp.get_tokenizer("de").pipe(article.sentences)):
            figures.extend(german_sentence_figures(doc, sentence))
        return figures
    docs = nlp.parse_in_language(language, tuple(article.sentences)) if language in FOREIGN_SCALES else None
    for sentence, doc in enumerate(docs or ()):
        figures.extend(foreign_sentence_figures(doc, sentence, language))
    return figures


def _sentence_figures(doc: "Doc", sentence: int) -> list[Figure]:
    found: list[Figure] = []
    for span in _number_spans(doc):
        if _not_a_figure(span):
            continue
        parsed = parse_number(span.text)
        if parsed is None:
            continue
        value, unit = parsed
        noun = _counted_noun(span)
        pointed = noun if noun is not None else _pointer_noun(doc)
        text = doc[span.start : noun.i + 1].text if noun is not None and 0 <= noun.i - span.end < 4 else span.text
        number = _number_token(span)
        path = _clause_path(number)
        how = {
            "kind": _kind(number, path),
            "dates": _dates(doc, path[-1]),
            "bound": _bound(span, path),
            "rounding": _rounding(span.text, unit),
        }
        if pointed is None and found:  # "800 cold cases ..., a number she expected to rise to 1,000"
            found.append(replace(found[-1], value=value, text=text, sentence=sentence, unit=unit, **how))
            continue
        if pointed is None:
            pointed = _subject(span, amount=unit is not None)
        counts = _counts_phrase(pointed) if pointed is not None else ""
        if pointed is None or not counts:
            continue
        what = {"noun": pointed.lemma_.lower(), "modifiers": _modifiers(pointed), "owner": _owner(pointed)}
        found.append(Figure(value, text, counts, sentence, unit, **what, **how))
    return found


def _number_spans(doc: "Doc") -> Iterable["Span"]:
    """spaCy's number entities, lone numerals it left untagged, each with a trailing "per cent" attached."""
    covered: set[int] = set()
    spans = []
    for span in doc.ents:
        covered.update(range(span.start, span.end))
        if span.label_ in NUMBER_LABELS:
            spans.append(span)
    spans.extend(doc[t.i : t.i + 1] for t in doc if t.pos_ == "NUM" and t.like_num and t.i not in covered)
    for span in sorted(spans, key=lambda s: s.start):
        end = span.end
        while end < len(doc) and doc[end].lower_ in ("per", "cent", "percent", "%") and end - span.end < 2:
            end += 1
        if end == span.end and end < len(doc) and doc[end].lower_ in SCALES and doc[end - 1].like_num:
            end += 1  # "60m", which the tokenizer splits
        start = span.start - 1 if span.start > 0 and doc[span.start - 1].text in CURRENCIES else span.start
        yield doc[start:end]


def _not_a_figure(span: "Span") -> bool:
    """Times, vague plurals, page counts and ages written as adjectives, numbers inside names."""
    doc = span.doc
    if ":" in span.text or span.text.lower() in VAGUE or span.text.lower() in ("one", "a", "an"):
        return True
    after = doc[span.end] if span.end < len(doc) else None
    if after is not None and after.text in ("-", "–"):
        return True  # "200-page audit", "seven-year inquiry"
    if any(token.ent_type_ in NAME_LABELS for token in span):
        return True
    if any("-" in token.text and token.text[0].isdigit() for token in span):
        return True
    return bool(re.fullmatch(r"(1[89]|20)\d\d", span.text.strip()))  # a year spaCy did not call a date


def _counted_noun(span: "Span") -> "Token | None":
    """The noun the number modifies ("800 cases", "a record 84,200 applications"), or the object of its "of"
    ("two-thirds of perpetrators")."""
    number = _number_token(span)
    noun = None
    if number.dep_ in ("nummod", "quantmod", "compound"):
        noun = number.head
        while span.start <= noun.i < span.end and noun.head.i != noun.i:
            noun = noun.head
    if noun is None or not _countable(noun) or span.start <= noun.i < span.end:
        noun = _of_object(span.root) or _of_object(number)
    following = span.doc[span.end] if span.end < len(span.doc) else None
    if noun is None and following is not None and following.tag_ == "NNS":
        noun = following  # a misparse that hangs "doses" off the verb in "share up to 60m doses"
    if noun is not None and noun.lemma_.lower() in POINTER_NOUNS:
        noun = _of_object(noun)
    return noun


def _countable(noun: "Token") -> bool:
    return noun.pos_ == "NOUN" or noun.tag_ == "NNPS"  # "10 Republicans"


def _subject(span: "Span", amount: bool) -> "Token | None":
    """What the verb governing the number is said of: any verb for an amount ("The scheme will cost £3bn",
    "The Consumer Price Index rose 4.2%"), a verb of level or change for a bare count ("claims rose to 373,000",
    "The population was 331.5 million")."""
    verb = span.root
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    if not amount and verb.lemma_.lower() not in LEVEL_VERBS:
        return None
    return next((t for t in verb.children if t.dep_ in SUBJECT_DEPS and t.pos_ in ("NOUN", "PROPN")), None)


def _of_object(token: "Token") -> "Token | None":
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            objects = [t for t in child.children if t.dep_ == "pobj" and t.pos_ == "NOUN"]
            if objects:
                return objects[0]
    return None


def _pointer_noun(doc: "Doc") -> "Token | None":
    """ "The number of cold cases ... is expected to rise to more than 1,000" counts cold cases."""
    for token in doc:
        if token.lemma_.lower() in POINTER_NOUNS:
            noun = _of_object(token)
            if noun is not None:
                return noun
    return None


def _counts_phrase(noun: "Token") -> str:
    """The noun with its modifiers and what directly follows it: a participle ("cases reopened"), a short
    "of"/"for" complement ("cases of child sexual abuse"), or the verb it is the subject of."""
    doc = noun.doc
    left = noun.i
    while left > 0 and doc[left - 1].dep_ in MODIFIER_DEPS and doc[left - 1].head.i >= left:
        left -= 1
    words = [t.text for t in doc[left : noun.i + 1] if t.is_alpha]
    following = doc[noun.i + 1] if noun.i + 1 < len(doc) else None
    if following is None:
        pass
    elif following.head.i == noun.i and following.dep_ == "acl" and following.tag_ == "VBN":
        words.append(following.text)
    elif following.head.i == noun.i and following.dep_ == "prep" and following.lower_ in ("of", "for"):
        obj = next((t for t in following.children if t.dep_ == "pobj"), None)
        if obj is not None:
            complement = [t.text for t in obj.subtree if t.i <= obj.i and t.dep_ not in ("det", "poss") and t.is_alpha]
            words.extend([following.text, *complement])
    elif noun.head.i == following.i and noun.dep_ == "nsubj" and following.tag_ in ("VBD", "VBN"):
        words.append(following.text)
    return " ".join(words[:MAX_COUNTS_WORDS]).lower()


def _number_token(span: "Span") -> "Token":
    return next((t for t in reversed(span) if t.like_num or t.pos_ == "NUM"), span.root)


def _clause_path(number: "Token") -> list["Token"]:
    """The number and its heads up to the head of its clause, climbing through "expected to rise to" (xcomp)
    and "a goal to reach" (acl), but not into the clause that reports it ("Police said ...")."""
    path = [number]
    token = number
    while token.head.i != token.i and not (token.pos_ in ("VERB", "AUX") and token.dep_ in CLAUSE_DEPS):
        token = token.head
        path.append(token)
    return path


def _kind(number: "Token", path: Sequence["Token"]) -> str:
    """future: a forecast, plan or target ("expected to rise to", "could reach", "will share", "aims for");
    change: by how much something moved ("rose 4%", "up by 2,000"); previous: where it moved from
    ("up from 6%"); otherwise a count of what is."""
    # What a verb says of its subject is about the subject, not its number: "800 cases would be investigated"
    # counts cases there are; "is expected to rise to 1,000" forecasts the number.
    predicated = [head for child, head in zip(path, path[1:], strict=False) if child.dep_ not in SUBJECT_DEPS]
    around = [*predicated, *(child for token in predicated for child in token.children if child.dep_ in AUX_DEPS)]
    if any(token.lemma_.lower() in FUTURE_WORDS or token.lower_ in FUTURE_WORDS for token in around):
        return "future"
    between = number.doc[number.i + 1 : path[1].i] if len(path) > 1 else []
    if any(t.lower_ in INCREMENT_WORDS and t.head.lower_ != "than" and t.nbor(1).lower_ != "than" for t in between):
        return "change"  # "six more bodies", "1,000 additional troops": an increment, not the total
    attached = next((t for t in path if t.pos_ in ("VERB", "AUX", "ADP", "ADV")), None)
    if attached is not None and attached.pos_ == "ADP":
        mover = attached.head.lemma_.lower()
        if attached.lower_ == "from" and (mover in CHANGE_WORDS or attached.head.lower_ in ("up", "down")):
            return "previous"
        if attached.lower_ == "by" and mover in CHANGE_WORDS:
            return "change"
    elif attached is not None and attached.lemma_.lower() in CHANGE_WORDS:
        return "change"
    return "count"


def _dates(doc: "Doc", clause: "Token") -> list[str]:
    """The dates said of the figure's own clause ("in April"), not of its reporting ("said on Friday")."""
    inside = {t.i for t in clause.subtree}
    dates = []
    for ent in doc.ents:
        if ent.label_ == "DATE" and ent.root.i in inside:
            words = [t.lower_ for t in ent if (t.is_alpha or t.like_num) and t.lower_ not in DATE_FILLERS]
            if words:
                dates.append(" ".join(words))
    return dates


def _bound(span: "Span", path: Sequence["Token"]) -> str:
    first = next((t for t in span if t.like_num or t.text in CURRENCIES), span[0])
    before = span.doc[max(0, first.i - 4) : first.i].text.lower()
    for bound, pattern in BOUNDS:
        if pattern.search(before):
            return bound
    verb = next((t for t in path if t.pos_ == "VERB"), None)
    return "above" if verb is not None and verb.lemma_.lower() in ABOVE_VERBS else "exact"


def _rounding(text: str, unit: str | None) -> float:
    """Half the step of the last written digit of a number written rounded: with a scale word ("1.2m",
    "£3bn") or as a percentage ("4.2%"); whole counts ("800") are exact."""
    written = re.search(r"(\d[\d,]*)(?:\.(\d+))?\s*(million|billion|trillion|thousand|bn|mn|m|k|tn)?\b", text.lower())
    if written is None or (written.group(3) is None and unit != "%"):
        return 0.0
    step = 10.0 ** -len(written.group(2) or "") * SCALES.get(written.group(3) or "", 1)
    return step / 2 * (1 - 1e-9)  # 52% and 53% do not meet at 52.5


def _modifiers(noun: "Token") -> list[str]:
    """Lemmas of what narrows the counted noun: its modifiers ("cold cases", "live police cases") and its "of"
    or "for" complement ("cases of child sexual abuse")."""
    tokens = [t for child in noun.lefts if child.dep_ in MODIFIER_DEPS for t in child.subtree]
    for child in noun.rights:
        if child.dep_ == "prep" and child.lower_ in ("of", "for"):
            tokens.extend(t for t in child.subtree if t.dep_ != "prep" or t.i != child.i)
        elif child.dep_ == "acl" and child.tag_ == "VBN":
            tokens.append(child)
    return _content_lemmas(t for t in tokens if t.lower_ not in SCALES)  # the "m" of "60m doses"


def _owner(noun: "Token") -> list[str]:
    """Whose or which: the possessor ("Casey's 12 recommendations"), a "from"/"by" complement
    ("recommendations from the inquiry"), or the subject of the verb the noun is the object of ("Sarah
    Champion's inquiry made 20 recommendations"), climbing "is expected to make"."""
    for child in noun.children:
        if child.dep_ == "poss":
            return _content_lemmas(child.subtree)
        if child.dep_ == "prep" and child.lower_ in ("from", "by"):
            return _content_lemmas(t for t in child.subtree if t.i != child.i)
    verb = noun.head
    if noun.dep_ in SUBJECT_DEPS:
        agent = next((child for child in verb.children if child.dep_ == "agent"), None)
        return _content_lemmas(t for t in agent.subtree if t.i != agent.i) if agent is not None else []
    if noun.dep_ != "dobj":
        return []
    while True:
        subject = next((child for child in verb.children if child.dep_ in SUBJECT_DEPS), None)
        if subject is not None or verb.dep_ != "xcomp":
            break
        verb = verb.head
    return _content_lemmas(subject.subtree) if subject is not None else []


def _content_lemmas(tokens: Iterable["Token"]) -> list[str]:
    return sorted(
        {
            t.lemma_.lower()
            for t in tokens
            if t.pos_ in CONTENT_POS and t.is_alpha and (t.pos_ == "PROPN" or not t.is_stop)
        }
    )


# --- French and Spanish -------------------------------------------------------------------------------------
# Their pipelines tag, lemmatise and parse in Universal Dependencies, whose number attachments differ from
# English's ("1 000 cas" is two determiners of "cas"), so a figure is read from the words around its number: the
# noun that follows it (past "de", "la"), else the subject of its verb for an amount. Dates and owners are not
# read (they match anything), kinds only as count or forecast.

FOREIGN_BOUNDS = (
    ("about", re.compile(r"\b(?:environ|près\s+de|quelque|presque|unos|unas|cerca\s+de|alrededor\s+de|casi)\s*$")),
    ("above", re.compile(r"\b(?:plus\s+de|au\s+moins|más\s+de|al\s+menos|por\s+encima\s+de)\s*$")),
    ("below", re.compile(r"\b(?:moins\s+de|jusqu['’]à|menos\s+de|hasta)\s*$")),
)  # fmt: skip
FOREIGN_FUTURE_LEMMAS = frozenset({"devoir", "pouvoir", "prévoir", "deber", "poder", "prever"})
FOREIGN_MONTHS = frozenset(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre enero febrero marzo "
    "abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre".split()
)
FOREIGN_PERCENT_WORDS = (("pour", "cent"), ("por", "ciento"))
GAP_POS = frozenset({"ADP", "DET"})  # "2,5 millions de personnes", "3,5 % de la population"
MAX_GAP = 3


def foreign_sentence_figures(doc: "Doc", sentence: int, language: str) -> list[Figure]:
    found = []
    for span in _foreign_number_spans(doc, language):
        parsed = parse_number(span.text, language)
        if parsed is None or _foreign_not_a_figure(span):
            continue
        value, unit = parsed
        noun = _following_noun(doc, span.end, language)
        written = doc[span.start : noun.i + 1] if noun is not None else span
        if noun is not None and noun.lower_ in FOREIGN_CURRENCIES:  # "1 900 milliards de dollars"
            unit, noun = CURRENCIES[FOREIGN_CURRENCIES[noun.lower_]], None
        if noun is None and unit is not None:
            noun = _foreign_subject(span.root)
        if noun is None:
            continue
        modifiers = [t for t in noun.children if t.dep_ == "amod" and t.pos_ == "ADJ"]
        counts = " ".join(t.lower_ for t in sorted([noun, *modifiers], key=lambda t: t.i))
        found.append(
            Figure(
                value, written.text, counts, sentence, unit, noun=noun.lemma_.lower(),
                modifiers=_content_lemmas(modifiers), kind=_foreign_kind(span.root),
                bound=_bound_before(doc, span, FOREIGN_BOUNDS),
                rounding=_rounding(english_number(span.text, language), unit), language=language,
            )
        )  # fmt: skip
    return found


def _foreign_number_spans(doc: "Doc", language: str) -> Iterable["Span"]:
    """Runs of digits with their thousands groups, scale words and percent signs ("1 000", "2,5 millions",
    "1.900 mil millones", "3,5 %"), with a currency sign before them."""
    scales = FOREIGN_SCALES[language]
    end = 0
    for token in doc:
        if token.i < end or not any(c.isdigit() for c in token.text):
            continue
        end = token.i + 1
        while end < len(doc):
            word = doc[end].lower_
            if doc[end].is_space or word in scales or word == "%" or re.fullmatch(r"\d{3}(?:,\d+)?", word):
                end += 1
            elif end + 1 < len(doc) and (word, doc[end + 1].lower_) in FOREIGN_PERCENT_WORDS:
                end += 2
            else:
                break
        while doc[end - 1].is_space:
            end -= 1
        start = token.i - 1 if token.i > 0 and doc[token.i - 1].text in CURRENCIES else token.i
        yield doc[start:end]


def _foreign_not_a_figure(span: "Span") -> bool:
    """Years, times, days of a month, numbers inside names."""
    doc = span.doc
    after = doc[span.end] if span.end < len(doc) else None
    if after is not None and (after.lower_ == "h" or after.text in ("-", "–")):
        return True
    if any(t.lower_ in FOREIGN_MONTHS for t in doc[span.end : span.end + 2]):  # "3 mars", "14 de mayo"
        return True
    if any(token.ent_type_ for token in span) or ":" in span.text:
        return True
    return bool(re.fullmatch(r"(1[89]|20)\d\d", span.text.strip()))


def _following_noun(doc: "Doc", start: int, language: str) -> "Token | None":
    for token in doc[start : start + MAX_GAP + 1]:
        if token.pos_ == "NOUN" and token.lower_ not in FOREIGN_SCALES[language]:
            return token
        if token.pos_ not in GAP_POS:
            return None
    return None


def _foreign_subject(token: "Token") -> "Token | None":
    """The noun subject of the verb governing an amount ("Le plan coûtera 1 900 milliards de dollars")."""
    verb = next((t for t in [token, *token.ancestors] if t.pos_ in ("VERB", "AUX")), None)
    if verb is None:
        return None
    return next((t for t in verb.children if t.dep_.startswith("nsubj") and t.pos_ == "NOUN"), None)


def _foreign_kind(token: "Token") -> str:
    """future when a verb governing the number is in the future or conditional, or says it must or may be."""
    for verb in [t for t in [token, *token.ancestors] if t.pos_ in ("VERB", "AUX")]:
        for word in [verb, *(t for t in verb.children if t.pos_ == "AUX")]:
            if "Fut" in word.morph.get("Tense") or "Cnd" in word.morph.get("Mood"):
                return "future"
            if word.lemma_.lower() in FOREIGN_FUTURE_LEMMAS:
                return "future"
    return "count"


def _bound_before(doc: "Doc", span: "Span", bounds: Sequence[tuple[str, re.Pattern]]) -> str:
    """The first of ``bounds`` whose words come right before the number ("plus de", "mehr als"), else exact."""
    before = doc[max(0, span.start - 4) : span.start].text.lower()
    return next((bound for bound, pattern in bounds if pattern.search(before)), "exact")


# --- German ---------------------------------------------------------------------------------------------------
# No German pipeline is on PyPI, so a German figure is read from its words. German writes every noun
# capitalised, so the counted noun is the first capitalised word after the number, past a few articles and
# prepositions ("1.000 Fälle", "2,5 Millionen Menschen", "3,5 Prozent der Bevölkerung"); an amount with no noun
# after it counts the nearest noun before it ("Der Plan wird 1,9 Billionen Dollar kosten"). Nouns are compared
# as written, not lemmatised; modifiers, owners and dates are not read.

GERMAN_BOUNDS = (
    ("about", re.compile(r"\b(?:etwa|rund|ungefähr|circa|ca\.|knapp|fast|beinahe|nahezu)\s*$")),
    ("above", re.compile(r"\b(?:mehr\s+als|über|mindestens|wenigstens)\s*$")),
    ("below", re.compile(r"\b(?:weniger\s+als|unter|bis\s+zu|höchstens)\s*$")),
)  # fmt: skip
GERMAN_MONTHS = frozenset(
    "januar jänner februar märz april mai juni juli august september oktober november dezember".split()
)
GERMAN_GAP = frozenset("der die das den dem des ein eine einer eines einem von vom aus".split())
GERMAN_NOT_COUNTED = frozenset({"uhr", "jahr", "jahre", "jahren", "prozent"})  # times, ages, units
# A modal verb, or "werden" with an infinitive closing the sentence ("wird ... kosten"; "wurden ... gemeldet" is
# a passive): the number is planned or forecast.
GERMAN_MODALS = frozenset({"soll", "sollen", "sollte", "sollten", "könnte", "könnten", "dürfte", "dürften",
                           "voraussichtlich", "erwartet", "geplant"})  # fmt: skip
GERMAN_FUTURE_AUXILIARIES = frozenset({"wird", "werden", "würde", "würden"})


def german_sentence_figures(doc: "Doc", sentence: int) -> list[Figure]:
    found = []
    for span in _german_number_spans(doc):
        parsed = parse_number(span.text, "de")
        if parsed is None or _german_not_a_figure(span):
            continue
        value, unit = parsed
        noun = _german_noun_after(doc, span.end)
        written = doc[span.start : noun.i + 1] if noun is not None else span
        if noun is not None and noun.lower_ in FOREIGN_CURRENCIES:  # "1,9 Billionen Dollar"
            unit, noun = CURRENCIES[FOREIGN_CURRENCIES[noun.lower_]], None
        if noun is None and unit is not None:
            noun = _german_noun_before(doc, span.start)
        if noun is None:
            continue
        found.append(
            Figure(
                value, written.text, noun.text, sentence, unit, noun=noun.lower_, kind=_german_kind(doc),
                bound=_bound_before(doc, span, GERMAN_BOUNDS),
                rounding=_rounding(english_number(span.text, "de"), unit), language="de",
            )
        )  # fmt: skip
    return found


def _german_number_spans(doc: "Doc") -> Iterable["Span"]:
    """``_foreign_number_spans``, with what German writes after a number kept in it: an abbreviated scale
    ("3,4 Mio."), "Prozent", a currency sign."""
    for span in _foreign_number_spans(doc, "de"):
        end = span.end
        while end < len(doc) and (
            doc[end].lower_.rstrip(".") in FOREIGN_SCALES["de"]
            or doc[end].lower_ == "prozent"
            or doc[end].text in CURRENCIES
        ):
            end += 1
        yield doc[span.start : end]


def _german_not_a_figure(span: "Span") -> bool:
    """Years, ordinals ("3. März", "der 2. Platz"), times, ages, numbers inside words ("45-jährige", "G7")."""
    doc = span.doc
    if re.fullmatch(r"\d+\.", span[-1].text) or ":" in span.text:
        return True
    if any(re.search(r"\d", token.text) and re.search(r"[^\W\d_]", token.text) for token in span):
        return True
    after = doc[span.end] if span.end < len(doc) else None
    if after is not None and (after.lower_ in GERMAN_NOT_COUNTED | GERMAN_MONTHS or after.text in ("-", "–")):
        return True
    return bool(re.fullmatch(r"(1[89]|20)\d\d", span.text.strip()))


def _german_noun(token: "Token") -> bool:
    return token.is_alpha and token.text[:1].isupper() and token.lower_ not in FOREIGN_SCALES["de"]


def _german_noun_after(doc: "Doc", start: int) -> "Token | None":
    for token in doc[start : start + MAX_GAP + 1]:
        if _german_noun(token):
            return token
        if token.lower_ not in GERMAN_GAP:
            return None
    return None


def _german_noun_before(doc: "Doc", end: int) -> "Token | None":
    """The nearest noun before the number, the sentence's first word left out (capitalised whatever it is)."""
    return next((token for token in reversed(doc[1:end]) if _german_noun(token)), None)


def _german_kind(doc: "Doc") -> str:
    words = [token for token in doc if token.is_alpha]
    if any(token.lower_ in GERMAN_MODALS for token in words):
        return "future"
    closing = words[-1].lower_ if words else ""
    auxiliary = any(token.lower_ in GERMAN_FUTURE_AUXILIARIES for token in words)
    return "future" if auxiliary and closing.endswith("en") and not closing.startswith("ge") else "count"


# --- relation -------------------------------------------------------------------------------------------------


class Relation(StrEnum):
    AGREE = "agree"  # the same quantity, values that can both be true
    DISAGREE = "disagree"  # the same quantity, values that cannot both be true
    DIFFERENT = "different"  # not the same quantity: another noun, owner, date, unit or kind


def relation(a: Figure, b: Figure) -> Relation:
    """Whether two figures give the same quantity, and if so whether their values agree. Bounds make intervals
    ("more than 800" agrees with 800 and with 1,000), "about" allows ``ABOUT``, rounded writing half its last
    step ("1.2m" agrees with 1,234,567); whole counts otherwise match exactly."""
    if not _same_quantity(a, b):
        return Relation.DIFFERENT
    (low_a, high_a), (low_b, high_b) = _interval(a), _interval(b)
    return Relation.AGREE if max(low_a, low_b) <= min(high_a, high_b) else Relation.DISAGREE


def _same_quantity(a: Figure, b: Figure) -> bool:
    """Across languages the nouns meet once ``shared_nouns`` has written them alike; their modifiers, lemmas of
    two languages, are not compared ("cas confirmés" and "cases" are alike, so are "cold" and "live" ones)."""
    return (
        bool(a.noun)
        and (a.noun, a.unit, a.kind) == (b.noun, b.unit, b.kind)
        and (a.language != b.language or _narrow_alike(a.modifiers, b.modifiers))
        and _owners_alike(a.owner, b.owner)
        and _dates_alike(a.dates, b.dates)
    )


def _narrow_alike(a: Sequence[str], b: Sequence[str]) -> bool:
    """One outlet may leave a modifier out ("cases", "cold cases"); two that narrow the noun differently
    ("cold cases", "live police cases") count different things unless they share half the smaller set."""
    small, large = sorted((set(a), set(b)), key=len)
    return len(small & large) * 2 >= len(small)


def _owners_alike(a: Sequence[str], b: Sequence[str]) -> bool:
    return not a or not b or bool(set(a) & set(b))


def _dates_alike(a: Sequence[str], b: Sequence[str]) -> bool:
    """Unknown dates match anything; two given dates must name the same time ("April", "in April")."""
    if not a or not b:
        return True
    return any(set(x.split()) <= set(y.split()) or set(y.split()) <= set(x.split()) for x in a for y in b)


def _interval(figure: Figure) -> tuple[float, float]:
    low, high = figure.value - figure.rounding, figure.value + figure.rounding
    if figure.bound == "above":
        return low, math.inf
    if figure.bound == "below":
        return -math.inf, high
    if figure.bound == "about":
        return low - ABOUT * abs(figure.value), high + ABOUT * abs(figure.value)
    return low, high


# A counted noun of another language is the pivot language's noun the multilingual encoder puts nearest to it
# when each is the other's nearest among the story's nouns and they are this close: translations ("cas" and
# "case", "décès" and "death") meet at 0.9 to 0.97, other nouns of one story rarely above 0.89.
NOUN_MATCH = 0.88


def shared_nouns(figures: Sequence[Figure]) -> list[Figure]:
    """``figures`` with the counted nouns of languages other than the pivot (English when the story has it, else
    its most frequent language) written as the pivot's noun the multilingual encoder pairs them with (each the
    other's nearest, cosine ≥ ``NOUN_MATCH``); unpaired nouns and figures of one language stay as they are."""
    languages = Counter(figure.language for figure in figures if figure.noun)
    if len(languages) < 2:
        return list(figures)
    pivot = "en" if "en" in languages else languages.most_common(1)[0][0]
    pivot_nouns = sorted({f.noun for f in figures if f.noun and f.language == pivot})
    others = sorted({(f.language, f.noun) for f in figures if f.noun and f.language != pivot})
    vectors = nlp.embed_multilingual([*pivot_nouns, *(noun for _, noun in others)])
    cosines = vectors[len(pivot_nouns) :] @ vectors[: len(pivot_nouns)].T
    written = {}
    for row, (language, noun) in enumerate(others):
        same_language = [i for i, other in enumerate(others) if other[0] == language]
        best = int(cosines[row].argmax())
        if cosines[row, best] >= NOUN_MATCH and max(same_language, key=lambda i: cosines[i, best]) == row:
            written[language, noun] = pivot_nouns[best]
    return [replace(f, noun=written.get((f.language, f.noun), f.noun)) for f in figures]


# --- story ---------------------------------------------------------------------------------------------------


def compare_figures(
    per_article: dict[str, list[Figure]], sources: dict[str, str], sentences: dict[str, Sequence[str]]
) -> list[dict]:
    """The story's key figures across outlets. Figures that are the same quantity (``relation`` is not
    different) are grouped; a group given by at least two articles is listed, as a disagreement when two of
    its figures from different articles disagree, with both sentences as evidence. Groups of the same counted
    noun that are different quantities ("more than 800 cases" today, "more than 1,000" forecast) are listed
    together as different figures, each with its sentence."""
    keys = [key for key, figures in per_article.items() for _ in figures]
    written_alike = shared_nouns([figure for figures in per_article.values() for figure in figures])
    entries = list(zip(keys, written_alike, strict=True))
    parent = list(range(len(entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    disagreeing: dict[int, tuple[int, int]] = {}
    for i in range(len(entries)):
        for j in range(i + 1, len(entries)):
            found = relation(entries[i][1], entries[j][1])
            if found is not Relation.DIFFERENT:
                parent[root(j)] = root(i)
            if found is Relation.DISAGREE and entries[i][0] != entries[j][0]:
                disagreeing.setdefault(i, (i, j))
    groups: dict[int, list[int]] = {}
    for i in range(len(entries)):
        groups.setdefault(root(i), []).append(i)
    pairs = {root(i): pair for i, pair in disagreeing.items()}

    def cite(i: int) -> Citation:
        key, figure = entries[i]
        text = sentences[key][figure.sentence] if figure.sentence < len(sentences.get(key, ())) else figure.text
        return Citation(key, figure.sentence, text, sources.get(key, key))

    listed = []
    for first, members in groups.items():
        if len({entries[i][0] for i in members}) > 1:
            evidence = [cite(i) for i in pairs[first]] if first in pairs else []
            relation_found = Relation.DISAGREE if evidence else Relation.AGREE
            listed.append(_group_dict([entries[i] for i in members], sources, relation_found, evidence))
    by_noun: dict[tuple[str, str | None], list[int]] = {}
    for first in groups:
        figure = entries[first][1]
        if figure.noun:
            by_noun.setdefault((figure.noun, figure.unit), []).append(first)
    for firsts in by_noun.values():
        if len(firsts) > 1 and len({entries[i][0] for i in firsts}) > 1:
            sentences_cited = {(entries[i][0], entries[i][1].sentence): i for i in reversed(firsts)}
            evidence = [cite(i) for i in sorted(sentences_cited.values())]  # a sentence with two of them, once
            listed.append(_group_dict([entries[i] for i in firsts], sources, Relation.DIFFERENT, evidence))
    return listed


def _group_dict(
    members: Sequence[tuple[str, Figure]], sources: dict[str, str], found: Relation, evidence: list[Citation]
) -> dict:
    return {
        "counts": min((figure.counts for _, figure in members), key=len),
        "relation": found.value,
        "kind": members[0][1].kind if found is not Relation.DIFFERENT else "",
        "disagree": found is Relation.DISAGREE,
        "values": [
            {
                "value": figure.value,
                "text": figure.text,
                "source": sources.get(key, key),
                "article_key": key,
                "sentence": figure.sentence,
            }
            for key, figure in members
        ],
        "evidence": evidence,
    }
