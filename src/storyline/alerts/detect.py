"""The story writer's one call: after a story's analysis is refreshed, store what developed and raise an alert
for each reader whose follows it concerns, in the same transaction as the story."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storyline.alerts import developments as dev
from storyline.store import alerts as store
from storyline.store.models import Development, Follow, FollowAlert, Story, utcnow

MODES = ("instant", "digest", "none")
DEFAULT_MODE = "digest"
# A followed story alerts of everything; a hashtag, an outlet or a section of new stories and quotes only, or
# every development of every story it touches would arrive.
DEFAULT_CHOICES = {"story": tuple(dev.CHOICES), "other": ("new_story", "quotes")}
# A story first measured this long after it began is not news: stories that predate alerts (an upgrade, an
# import of old articles) are measured silently, not announced.
NEW_STORY_WINDOW = timedelta(days=2)


def story_refreshed(session: Session, story: Story, now: datetime | None = None) -> list[Development]:
    """Compares the story with its snapshot, stores the developments, raises their alerts, keeps the new
    snapshot; returns the developments (none for an unchanged story)."""
    now = now or utcnow()
    outlets = store.story_outlets(session, story.id)
    absorbed = store.absorbed_stories(session, story.id)
    after = dev.story_state(story.title, story.article_count, [name for name, _ in outlets], story.analysis, absorbed)
    snapshot = store.get_snapshot(session, story.id)
    before = dev.StoryState.from_json(snapshot.state) if snapshot else None
    announced = before is not None or story.created_at >= now - NEW_STORY_WINDOW
    found = dev.developments(before, after, story.analysis) if announced else []
    store.save_snapshot(session, story.id, dev.next_state(before, after, found).to_json(), now)
    rows = [store.add_development(session, story.id, f.kind, f.headline, f.detail, now) for f in found]
    if rows:
        hashtags = [tag["slug"] for tag in (story.analysis or {}).get("hashtags") or []]
        follows = store.concerned_follows(
            session,
            [story.id, *absorbed],
            hashtags,
            [slug for _, slug in outlets],
            store.story_sections(session, story.id),
        )
        raise_alerts(session, rows, follows)
    return rows


def raise_alerts(session: Session, rows: list[Development], follows: list[tuple[Follow, FollowAlert | None]]) -> None:
    """An alert a reader and development, through the reader's first follow that wants it; an instant follow
    wins over a digest one."""
    for row in rows:
        chosen: dict[int, tuple[Follow, str]] = {}
        for follow, choice in follows:
            mode = choice.mode if choice else DEFAULT_MODE
            if mode == "none" or not wants(follow, choice, row):
                continue
            if follow.user_id not in chosen or (mode == "instant" and chosen[follow.user_id][1] != "instant"):
                chosen[follow.user_id] = (follow, mode)
        for user_id, (follow, mode) in chosen.items():
            store.add_alert(session, user_id, row, follow.id, mode)


def wants(follow: Follow, choice: FollowAlert | None, row: Development) -> bool:
    """Whether the follow asked for this kind of development, and the development concerns what it follows:
    a quote concerns a story's followers and the speaker's, a merge the story's followers."""
    kinds = choice.kinds if choice else default_choices(follow.kind)
    if not any(row.kind in dev.CHOICES.get(name, ()) for name in kinds):
        return False
    if row.kind == dev.NEW_QUOTE:
        return follow.kind == "story" or (follow.kind == "hashtag" and follow.target == row.detail.get("speaker_slug"))
    if row.kind == dev.MERGE:
        return follow.kind == "story"
    return True


def default_choices(follow_kind: str) -> tuple[str, ...]:
    return DEFAULT_CHOICES["story" if follow_kind == "story" else "other"]
