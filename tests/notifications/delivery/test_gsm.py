"""SMS text stays in the GSM-7 alphabet and within its segment budget."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.delivery import gsm

GSM7 = set(gsm._BASIC) | set(gsm._EXTENDED)
LINK = "https://status.example.com/i/42"


def is_gsm7(text: str) -> bool:
    return all(char in GSM7 for char in text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\u201cQueue\u201d is down", '"Queue" is down'),
        ("It\u2019s back", "It's back"),
        ("\u2018eu-west\u2019", "'eu-west'"),
        ("Queue\u00a0eu-west", "Queue eu-west"),
        ("10\u202fmin", "10 min"),
        ("API \u2014 degraded", "API - degraded"),
        ("09:00\u201309:30", "09:00-09:30"),
        ("Investigating\u2026", "Investigating..."),
        ("\u2022 API", "* API"),
        ("a\tb", "a b"),
    ],
    ids=[
        "curly-double-quotes",
        "curly-apostrophe",
        "curly-single-quotes",
        "non-breaking-space",
        "narrow-no-break-space",
        "em-dash",
        "en-dash",
        "ellipsis",
        "bullet",
        "tab",
    ],
)
def test_typographic_characters_become_their_gsm7_equivalents(text, expected):
    assert gsm.to_gsm7(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Bogotá", "Bogota"),
        ("São Paulo", "Sao Paulo"),
        ("Kraków", "Krakow"),
        ("façade", "facade"),
        ("Zürich Straße", "Zürich Straße"),
        ("Café Ñandú", "Café Ñandu"),
        ("Île-de-France", "Ile-de-France"),
    ],
)
def test_accented_letters_outside_gsm7_lose_their_accents_and_gsm7_ones_stay(text, expected):
    assert gsm.to_gsm7(text) == expected


def test_characters_with_no_gsm7_equivalent_become_question_marks():
    assert gsm.to_gsm7("Down \U0001f525 in 東京") == "Down ? in ??"


def test_plain_ascii_text_is_unchanged():
    text = 'API is "operational" again: https://status.example.com/i/42 (eu-west, 99.9%) {ok} [1]'

    assert gsm.to_gsm7(text) == text


@given(st.text())
def test_every_output_character_is_in_the_gsm7_alphabet(text):
    assert is_gsm7(gsm.to_gsm7(text))


def test_extended_characters_count_as_two_septets():
    assert gsm.septets("abc") == 3
    assert gsm.septets("{€}") == 6


@pytest.mark.parametrize(
    "length, parts",
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_segments_follow_the_160_and_153_septet_limits(length, parts):
    assert gsm.segments("a" * length) == parts


def test_short_text_is_unchanged_by_fit():
    text = "Queue eu-west is operational again."

    assert gsm.fit(text, keep_tail=" " + LINK) == text + " " + LINK
    assert gsm.fit(text) == text


def test_fit_keeps_a_link_tail_intact_and_stays_within_two_segments():
    body = "The message queue in eu-west is not accepting new messages. " * 20

    result = gsm.fit(body, max_segments=2, keep_tail=" " + LINK)

    assert result.endswith("... " + LINK)
    assert gsm.segments(result) <= 2
    assert is_gsm7(result)
    assert result.startswith("The message queue in eu-west")


def test_fit_to_one_segment_stays_within_160_septets():
    result = gsm.fit("x" * 500, max_segments=1, keep_tail=" " + LINK)

    assert gsm.septets(result) <= 160
    assert gsm.segments(result) == 1
    assert result.endswith(LINK)


def test_fit_counts_extended_characters_as_two_septets_when_cutting():
    result = gsm.fit("{}" * 400, max_segments=2, keep_tail=" " + LINK)

    assert gsm.septets(result) <= 2 * 153
    assert result.endswith(LINK)


def test_fit_converts_the_body_and_the_tail_to_gsm7():
    result = gsm.fit("\u201cQueue\u201d \u2014 down " * 40, keep_tail="\u00a0" + LINK)

    assert is_gsm7(result)
    assert result.endswith(" " + LINK)
    assert gsm.segments(result) <= 2


@given(body=st.text(max_size=2000), tail=st.sampled_from(["", " " + LINK, "\u00a0" + LINK + "\u2026"]))
def test_fit_never_exceeds_two_segments_and_always_keeps_the_tail(body, tail):
    result = gsm.fit(body, max_segments=2, keep_tail=tail)

    assert is_gsm7(result)
    assert gsm.segments(result) <= 2
    assert result.endswith(gsm.to_gsm7(tail))
