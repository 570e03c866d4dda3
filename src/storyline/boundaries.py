"""Sentence boundaries that the English parser, which splits every language's text (``nlp.parse_texts``), gets
wrong in French, German and Spanish: marked before it parses where it keeps the mark, mended after it where it
does not.

Habits of those languages that read to it as the end of a sentence:

- A German ordinal is written with a full stop: "am 16. Juni", "im 19. Jahrhundert", "zum 3. Mal". The parser
  ended the sentence after "16." and began the next with "Juni", so a figure, a quote or a summary line cited
  half a sentence.
- A quotation closes after its own full stop, with marks that in English open one: German „Wir handeln.“ and
  French « Nous agissons. » The parser began the next sentence with the closing mark, or made it a sentence.
- French and Spanish quotations open with « : the parser ended sentences on it ("Baptisé «").
- English tokenizer rules cut German "im" in two, and the parser began a sentence with its "i" (``WHOLE_WORDS``).
- The parser breaks a sentence where a German noun or a Spanish "Gobierno" is capitalised ("ein | Programm"),
  and English ones too, before "but", "and" or "so" inside a quotation ("It was great winning bronze | but I'm
  wary of injuries"): a sentence never ends on a lower-case word within a paragraph.

Each rule looks at a token and its neighbours only: one pass over the tokens. The first four never met English
text: 350 BBC articles split exactly as before them, while of the 1,570 titles and bodies of the translated
AllSides set 24 split differently. The last changed 25 of those BBC articles and 64 of the AllSides texts;
every change was read, and each joined two halves of one sentence (in five BBC articles the source itself has
no full stop there: "the general election And they believe").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from spacy.attrs import ORTH
from spacy.language import Language

if TYPE_CHECKING:
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc, Span

NAME = "storyline_sentence_boundaries"

# English tokenizer rules read German "im" as "I'm" written without its apostrophe, "i" "m"; the parser then
# began a sentence with that "i" ("… die Familie von George Floyd | im Weißen Haus empfangen"). Written so in
# English only in chat, never in news.
WHOLE_WORDS = ("im", "Im", "IM")

GERMAN_MONTHS = frozenset(
    "januar jänner februar märz april mai juni juli august september oktober november dezember "
    "jan feb mär apr jun jul aug sep sept okt nov dez".split()
)
# German words after which a number with a full stop is an ordinal ("der 2. Weltkrieg"), whatever follows. Not
# "am", which is English too ("I am 25."); German writes it before dates, which the month tells.
GERMAN_ORDINAL_CONTEXT = frozenset(
    "im zum zur vom beim seit ab bis der die das dem den des ihr ihre ihrem ihren sein seine seinem seinen".split()
)
# Each opening quotation mark and the mark that closes it. "“" opens in English and closes in German; the open
# quotation decides which it is.
CLOSING_MARK = {"„": "“", "«": "»", "»": "«", "‚": "‘", "“": "”", "‹": "›", "›": "‹"}
SENTENCE_END = frozenset(".!?…")
# Marks that only ever open a quotation. One the parser left at a sentence's end opens the next sentence when a
# sentence or a colon came before it ("a ajouté : « Un élargissement … »"); otherwise the parser broke the
# sentence there, and it goes on.
OPENING_ONLY = frozenset("«„‚")
QUOTATION_LEAD = SENTENCE_END | {":"}


@Language.component(NAME)
def mark_quotation_ends(doc: Doc) -> Doc:
    """Before the parser: a closing quotation mark after a sentence's end belongs to that sentence, and a
    capitalised word after it begins the next. The parser keeps a boundary marked as one (here, the word after
    the mark), but not always one marked as none, so German ordinals are mended after it (``sentences``)."""
    closer = None
    for token in doc:
        if closer is not None and token.text == closer:
            closer = None
            if token.i and doc[token.i - 1].text in SENTENCE_END:
                token.is_sent_start = False
                following = token.i + 1
                if following < len(doc) and doc[following].text[:1].isupper():
                    doc[following].is_sent_start = True
        elif closer is None and token.text in CLOSING_MARK:
            closer = CLOSING_MARK[token.text]
    return doc


def sentences(doc: Doc) -> Iterator[Span]:
    """The parsed ``doc``'s sentences, mended: one the parser ended at a German ordinal is joined to the next,
    and one it ended at an opening quotation mark is joined to the next or gives it the mark (``OPENING_ONLY``)."""
    start = 0
    for sentence in doc.sents:
        end = sentence.end
        if end == len(doc):
            break
        if _ends_at_german_ordinal(doc, end) or _ends_mid_phrase(doc, end):
            continue
        if doc[end - 1].text in OPENING_ONLY and end - 1 > start:
            if doc[end - 2].text not in QUOTATION_LEAD:
                continue  # "Baptisé « Path out of the Pandemic »": the quotation is part of the sentence
            end -= 1
        yield doc[start:end]
        start = end
    if start < len(doc):
        yield doc[start:]


def _ends_mid_phrase(doc: Doc, following: int) -> bool:
    """The sentence before ``following`` ends on a lower-case word within a paragraph: no sentence ends so.
    The parser breaks other languages' sentences where a noun or a name is capitalised ("ein | Programm aus der
    Obama-Ära", "dijo que el | Gobierno actuará") or where it reads their words as English ("Se espera que |
    la Cámara")."""
    last = doc[following - 1]
    return last.is_alpha and last.is_lower


def _ends_at_german_ordinal(doc: Doc, following: int) -> bool:
    """The tokens before ``following`` are "<number> ." and the number is a German ordinal: before a month, or
    after an article or preposition that German puts before ordinals."""
    if following < 3 or doc[following - 1].text != ".":
        return False
    number = doc[following - 2]
    if not (number.text.isdigit() and len(number.text) <= 3):
        return False
    if doc[following].lower_.rstrip(".") in GERMAN_MONTHS:
        return True
    return doc[following - 3].lower_ in GERMAN_ORDINAL_CONTEXT


def keep_whole(tokenizer: Tokenizer) -> None:
    """Makes ``tokenizer`` keep the words of other languages that English rules cut in two (``WHOLE_WORDS``)."""
    for word in WHOLE_WORDS:
        tokenizer.add_special_case(word, [{ORTH: word}])
