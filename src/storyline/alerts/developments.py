"""What changed in a story: its state before and after a batch, compared. Pure functions, no database.

A story's state is what a reader would notice on its page: the outlets covering it, how many articles it has,
the key figures outlets give (and whether they disagree), who is quoted, and which stories were merged into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from storyline.i18n import N_, phrase

# Kinds of development, and the choices a follow offers (a choice covers one or more kinds).
NEW_STORY = "new_story"
NEW_OUTLET = "new_outlet"
MORE_ARTICLES = "more_articles"
NEW_FIGURE = "new_figure"
DISAGREEMENT = "disagreement"
NEW_QUOTE = "new_quote"
MERGE = "merge"
CHOICES = {
    "new_story": (NEW_STORY,),
    "coverage": (NEW_OUTLET, MORE_ARTICLES),
    "figures": (NEW_FIGURE, DISAGREEMENT),
    "quotes": (NEW_QUOTE,),
    "merge": (MERGE,),
}
CHOICE_LABELS = {
    "new_story": N_("A new story about it"),
    "coverage": N_("A new outlet or more articles"),
    "figures": N_("A new key figure, or outlets disagreeing"),
    "quotes": N_("A new quote by a followed person"),
    "merge": N_("Stories merged"),
}
# A followed story gaining this many articles since it last alerted is a development of its own.
MORE_ARTICLES_STEP = 5
# Where on the story page each kind of development is shown.
ANCHORS = {
    NEW_STORY: "",
    NEW_OUTLET: "#comparison-heading",
    MORE_ARTICLES: "#coverage-heading",
    NEW_FIGURE: "#story-ai-heading",
    DISAGREEMENT: "#story-ai-heading",
    NEW_QUOTE: "#story-ai-heading",
    MERGE: "#coverage-heading",
}
MAX_HEADLINE = 1000
CITED_LINES = 3


@dataclass(frozen=True)
class StoryState:
    """A story as it stands, in the terms developments are measured in (stored as JSON in a snapshot)."""

    title: str
    article_count: int
    outlets: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()  # what each key figure counts
    disagreements: tuple[str, ...] = ()  # the figures outlets disagree on
    speakers: tuple[str, ...] = ()  # hashtag slugs of the people quoted
    absorbed: tuple[int, ...] = ()  # stories merged into this one
    alerted_article_count: int = 0  # the article count the last "more articles" development was measured from

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> StoryState:
        lists = {name: tuple(data.get(name) or ()) for name in ("outlets", "figures", "disagreements", "speakers")}
        absorbed = tuple(int(story_id) for story_id in data.get("absorbed") or ())
        return cls(
            title=data.get("title", ""),
            article_count=int(data.get("article_count", 0)),
            absorbed=absorbed,
            alerted_article_count=int(data.get("alerted_article_count", 0)),
            **lists,
        )


@dataclass(frozen=True)
class Found:
    """One development: its kind, the headline a reader sees, and what it needs to be matched and shown."""

    kind: str
    headline: str
    detail: dict = field(default_factory=dict)


def story_state(
    title: str, article_count: int, outlets: Iterable[str], analysis: dict | None, absorbed: Iterable[int]
) -> StoryState:
    """The state of a story from its row, its outlets and its cached analysis (``pipeline.story_payload``)."""
    analysis = analysis or {}
    figures = analysis.get("figures") or []
    return StoryState(
        title=title,
        article_count=article_count,
        outlets=tuple(sorted(set(outlets))),
        figures=tuple(sorted({group["counts"] for group in figures})),
        disagreements=tuple(sorted({group["counts"] for group in figures if group.get("disagree")})),
        speakers=tuple(sorted({q["speaker_slug"] for q in analysis.get("quotes") or [] if q.get("speaker_slug")})),
        absorbed=tuple(sorted(set(absorbed))),
    )


def developments(before: StoryState | None, after: StoryState, analysis: dict | None) -> list[Found]:
    """What changed from ``before`` (None: the story is new) to ``after``, each with the lines of the story's
    analysis that back it. An unchanged story has none."""
    analysis = analysis or {}
    if before is None:
        return [
            Found(
                NEW_STORY,
                _clip(phrase("New story: %(title)s", title=after.title)),
                _detail(NEW_STORY, summary_cites(analysis)),
            )
        ]
    found = [*_new_outlets(before, after, analysis), *_new_figures(before, after, analysis)]
    found += _new_quotes(before, after, analysis)
    if after.article_count - before.alerted_article_count >= MORE_ARTICLES_STEP:
        count = after.article_count - before.alerted_article_count
        found.append(
            Found(MORE_ARTICLES, phrase("%(num)d more articles on the story", num=count), _detail(MORE_ARTICLES, []))
        )
    for story_id in sorted(set(after.absorbed) - set(before.absorbed)):
        detail = _detail(MERGE, summary_cites(analysis)) | {"absorbed": story_id}
        found.append(Found(MERGE, phrase("Another story was merged into this one"), detail))
    return found


def next_state(before: StoryState | None, after: StoryState, found: Sequence[Found]) -> StoryState:
    """The state to keep: ``after``, remembering the article count the next "more articles" is measured from."""
    measured = before.alerted_article_count if before else after.article_count
    if before is None or any(development.kind == MORE_ARTICLES for development in found):
        measured = after.article_count
    return StoryState(**{**asdict(after), "alerted_article_count": measured})


def summary_cites(analysis: dict) -> list[dict]:
    return list((analysis.get("summary_citations") or [])[:CITED_LINES])


def _new_outlets(before: StoryState, after: StoryState, analysis: dict) -> list[Found]:
    exclusives = analysis.get("exclusives") or {}
    found = []
    for outlet in sorted(set(after.outlets) - set(before.outlets)):
        alone = list(exclusives.get(outlet) or [])[:CITED_LINES]
        headline = (
            phrase("%(outlet)s joins the story: %(line)s", outlet=outlet, line=alone[0]["text"])
            if alone
            else phrase("%(outlet)s joins the story", outlet=outlet)
        )
        found.append(Found(NEW_OUTLET, _clip(headline), _detail(NEW_OUTLET, alone) | {"outlet": outlet}))
    return found


def _new_figures(before: StoryState, after: StoryState, analysis: dict) -> list[Found]:
    groups = analysis.get("figures") or []
    found = []
    for counts in sorted(set(after.figures) - set(before.figures)):
        group = _figure_group(groups, counts)
        value = group["values"][0]
        headline = phrase(
            "New key figure: %(value)s %(counts)s (%(source)s)",
            value=value["text"],
            counts=counts,
            source=value["source"],
        )
        found.append(Found(NEW_FIGURE, _clip(headline), _detail(NEW_FIGURE, _figure_cites(group))))
    for counts in sorted(set(after.disagreements) - set(before.disagreements)):
        group = _figure_group(groups, counts, disagree=True)
        claims = "; ".join(
            phrase("%(source)s says %(value)s", source=value["source"], value=value["text"])
            for value in group["values"]
        )
        headline = phrase("Outlets disagree on %(counts)s: %(claims)s", counts=counts, claims=claims)
        # A disagreement is backed by the two sentences that disagree (``compare_figures``' evidence), not by
        # whichever of the group's values come first.
        cites = list(group.get("evidence") or []) or _figure_cites(group)
        found.append(Found(DISAGREEMENT, _clip(headline), _detail(DISAGREEMENT, cites)))
    return found


def _figure_group(groups: Sequence[dict], counts: str, disagree: bool = False) -> dict:
    """The group a development about ``counts`` is told from. Several groups can count the same thing (one
    quantity outlets agree on, and a listing of different quantities of that noun), so a disagreement takes the
    disputed group and a new figure prefers a quantity outlets give over a listing of different ones."""
    same = [group for group in groups if group["counts"] == counts]
    if disagree:
        return next(group for group in same if group.get("disagree"))
    return next((group for group in same if group.get("relation") != "different"), same[0])


def _new_quotes(before: StoryState, after: StoryState, analysis: dict) -> list[Found]:
    found = []
    for speaker in sorted(set(after.speakers) - set(before.speakers)):
        quote = next(q for q in analysis.get("quotes") or [] if q.get("speaker_slug") == speaker)
        headline = phrase("%(speaker)s: “%(quote)s”", speaker=quote["speaker"], quote=quote["text"])
        detail = _detail(NEW_QUOTE, [quote["first"]] if quote.get("first") else []) | {"speaker_slug": speaker}
        found.append(Found(NEW_QUOTE, _clip(headline), detail))
    return found


def _figure_cites(group: dict) -> list[dict]:
    return [
        {"article_id": v["article_key"], "sentence": v["sentence"], "text": v["text"], "source": v["source"]}
        for v in group["values"][:CITED_LINES]
    ]


def _detail(kind: str, cites: list[dict]) -> dict:
    return {"anchor": ANCHORS[kind], "cites": cites}


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_HEADLINE else text[: MAX_HEADLINE - 1] + "…"
