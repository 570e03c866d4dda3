from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storyline.stories.dedupe import DedupeConfig, DuplicateFinder

T0 = datetime(2025, 6, 16, 9, 0, tzinfo=timezone.utc)
WIRE = (
    "Police forces across England and Wales will be required to record the ethnicity and nationality of every "
    "suspect in child sexual exploitation cases, the Home Secretary announced on Monday. The change follows a "
    "national audit which found that data on perpetrators had been patchy for more than a decade and that "
    "officials had avoided the subject for fear of being seen as racist. Ministers said a new national "
    "operation led by the National Crime Agency would reopen hundreds of closed cases, and that victims "
    "would be offered specialist support while the investigations continue over the coming years."
)
COPIES = [
    ("small edits", WIRE.replace("on Monday", "on Monday afternoon").replace("patchy", "inconsistent")),
    ("new intro sentence", "Exclusive coverage from our correspondent. " + WIRE),
    ("trimmed ending", WIRE.rsplit(" Ministers said", 1)[0] + " Ministers said more would follow."),
]
SAME_EVENT_DIFFERENT_TEXT = (
    "The Home Secretary faced questions in the Commons after publishing the audit, with opposition MPs asking "
    "why it had taken so long to order a statutory inquiry. Survivors' groups welcomed the decision but said "
    "they wanted a say in who would chair it and how wide its terms of reference would be, and several "
    "councils said they were already reviewing historical cases of abuse in their areas."
)


@pytest.mark.parametrize(("case", "text"), COPIES)
def test_edited_wire_copies_point_at_the_original(case, text):
    finder = DuplicateFinder()
    assert finder.check_and_add("wire", WIRE, T0) is None
    assert finder.check_and_add("copy", text, T0 + timedelta(minutes=5)) == "wire", case


def test_copy_of_a_copy_points_at_the_first_original():
    finder = DuplicateFinder()
    finder.check_and_add("wire", WIRE, T0)
    finder.check_and_add("copy", COPIES[0][1], T0 + timedelta(minutes=5))
    assert finder.check_and_add("copy-2", COPIES[0][1] + " Updated.", T0 + timedelta(minutes=9)) == "wire"


def test_a_different_article_on_the_same_event_is_not_a_copy():
    finder = DuplicateFinder()
    finder.check_and_add("wire", WIRE, T0)
    assert finder.check_and_add("other", SAME_EVENT_DIFFERENT_TEXT, T0 + timedelta(minutes=5)) is None


HEADLINE = "Casey report: national inquiry into grooming gangs"


@pytest.mark.parametrize(
    ("first", "second", "copy"),
    [
        (HEADLINE, HEADLINE, True),
        (HEADLINE, "CASEY REPORT - National inquiry into grooming gangs!", True),
        (HEADLINE, "Casey report: no national inquiry into grooming gangs", False),
        ("Grooming gangs inquiry announced", "Grooming gangs inquiry announced by Cooper", False),
    ],
)
def test_short_texts_are_copies_only_when_their_words_match(first, second, copy):
    finder = DuplicateFinder()
    finder.check_and_add("a", first, T0)
    assert (finder.check_and_add("b", second, T0) == "a") is copy


def test_copies_beyond_the_window_in_item_time_are_not_matched_and_are_forgotten():
    finder = DuplicateFinder(DedupeConfig(window=timedelta(days=1)))
    finder.check_and_add("wire", WIRE, T0)
    assert finder.check_and_add("late", WIRE, T0 + timedelta(days=2)) is None
    assert len(finder) == 1


def test_the_same_key_again_keeps_its_first_answer():
    finder = DuplicateFinder()
    finder.check_and_add("wire", WIRE, T0)
    assert finder.check_and_add("copy", WIRE, T0) == "wire"
    assert finder.check_and_add("copy", "anything else entirely", T0) == "wire"
    assert finder.check_and_add("wire", WIRE, T0) is None
