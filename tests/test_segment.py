import re

import pytest

from secnews.segment import sentence_starts, split_paragraphs, windows


def offsets(text):
    return [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]


def tokens(text):
    return re.findall(r"\w+|[^\w\s]", text)


def test_paragraphs_split_on_blank_lines_and_join_wrapped_lines():
    article = "Headline\n\nFirst paragraph\nwraps here.\n\n\n  Second one.  \n"
    assert split_paragraphs(article) == ["Headline", "First paragraph wraps here.", "Second one."]


def test_paragraphs_are_lines_when_there_are_no_blank_lines():
    assert split_paragraphs("One.\r\nTwo.\n\n") == ["One.", "Two."]
    assert split_paragraphs("   \n\t") == []


def test_sentence_starts_need_a_capital_or_digit_after_the_stop():
    text = "Agents seized 3.5 kg. Then they left! 40 people watched. e.g. not here."
    starts = sentence_starts(text)
    assert [text[s:s + 4] for s in starts] == ["Agen", "Then", "40 p"]


def test_short_text_is_one_window():
    assert windows("Short text.", offsets, 10) == ["Short text."]


@pytest.mark.parametrize("limit", [3, 5, 8, 50])
def test_windows_fit_the_limit_and_keep_every_token(limit):
    text = "One two three. Four five six seven! Eight nine. " + "word " * 23 + "end."
    parts = windows(text, offsets, limit)
    assert all(len(offsets(p)) <= limit for p in parts)
    assert [t for p in parts for t in tokens(p)] == tokens(text)


def test_windows_break_at_sentence_ends_when_possible():
    text = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota."
    assert windows(text, offsets, 8) == ["Alpha beta gamma. Delta epsilon zeta.", "Eta theta iota."]


def test_a_long_sentence_is_cut_between_words():
    text = "Longwordpieces " * 6
    parts = windows(text, lambda t: [(m.start(), m.start() + 4) for m in re.finditer(r"\S{1,4}", t)], 8)
    assert all(p.split()[0] == "Longwordpieces" for p in parts)


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        windows("text", offsets, 0)


def test_one_paragraph_per_line_inside_a_block_of_full_lines():
    article = "Title\n\nFirst paragraph ends here.\nA Heading\nSecond paragraph ends too.\nThird one."
    assert split_paragraphs(article) == ["Title", "First paragraph ends here.", "A Heading",
                                         "Second paragraph ends too.", "Third one."]


def test_hard_wrapped_block_is_joined():
    article = "The navy said on Monday that\nmarines had found a lab near\nCosalá. Nobody was arrested.\n\nNext."
    assert split_paragraphs(article) == ["The navy said on Monday that marines had found a lab near Cosalá. Nobody was arrested.",
                                         "Next."]
