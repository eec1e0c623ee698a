import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secnews.segment import sentence_starts, split_paragraphs, windows

MODELS = Path(__file__).resolve().parents[1] / "secnews" / "models"
E5_TOKENIZER = MODELS / "secnews-e5-bilingual-v2" / "tokenizer.json"  # the shipped e5 model's


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
    parts = windows(text, lambda t: [m.span() for m in re.finditer(r"\S{1,4}", t)], 10)
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


# --- tokenizers whose spans take in the space before a word or are shared by several tokens -------

def regex_tokenizer(space: bool, shared: bool):
    """`space`: a span takes in the space before its word, and a space before punctuation is a
    token of its own (SentencePiece's lone '▁'). `shared`: a piece holding a non-ASCII character
    is two tokens with one span (as NFKC expansions like '½' -> '1', '⁄', '2' give)."""
    pattern = re.compile(r"\s?\w{1,3}|\s(?=[^\w\s])|[^\w\s]" if space else r"\w{1,3}|[^\w\s]")
    return lambda text: [m.span() for m in pattern.finditer(text)
                         for _ in range(1 + (shared and not m.group().isascii()))]


STYLES = st.sampled_from([regex_tokenizer(space, shared) for space in (False, True) for shared in (False, True)])
WORD = st.tuples(st.sampled_from(["", "¡"]), st.text("abxé½", min_size=1, max_size=6)).map("".join)
SENTENCE = st.tuples(st.sampled_from(["", "¡"]), st.lists(WORD, min_size=1, max_size=12)).map(
    lambda t: t[0] + "A" + " ".join(t[1]) + ".")
TEXT = st.tuples(st.sampled_from(["", " ", "\n  "]), st.lists(SENTENCE, min_size=1, max_size=12),
                 st.sampled_from(["", " ", "\n"])).map(lambda t: t[0] + " ".join(t[1]) + t[2])


def window_starts(text, parts):
    """Where each window starts in `text`; asserts the windows tile it, with only whitespace between."""
    starts, pos = [], 0
    for part in parts:
        at = text.find(part, pos)
        assert part and at >= 0 and not text[pos:at].strip(), (part, text[pos:])
        starts.append(at)
        pos = at + len(part)
    assert not text[pos:].strip()
    return starts


@settings(max_examples=100, deadline=None)
@given(TEXT, st.integers(12, 24), STYLES)  # a word takes <= 11 tokens
def test_windows_tile_the_text_fit_and_start_at_words(text, max_tokens, offsets):
    parts = windows(text, offsets, max_tokens)
    assert all(len(offsets(p)) <= max_tokens for p in parts)
    for at in window_starts(text, parts):
        assert at == 0 or text[at - 1].isspace(), (text[:at], text[at:])


@settings(max_examples=100, deadline=None)
@given(TEXT, st.integers(12, 24), STYLES)  # a word takes <= 11 tokens
def test_windows_hold_whole_sentences_when_every_sentence_fits(text, max_tokens, offsets):
    bounds = [*sentence_starts(text), len(text)]
    if any(len(offsets(" " + text[a:b])) > max_tokens for a, b in zip(bounds, bounds[1:])):  # as after a space
        return
    sentences = set(bounds) | {len(text) - len(text.lstrip())}
    assert set(window_starts(text, windows(text, offsets, max_tokens))) <= sentences


def test_spans_with_the_space_before_a_word_break_at_sentence_ends():
    offsets = regex_tokenizer(space=True, shared=False)
    assert windows("A b. C d.", offsets, 4) == ["A b.", "C d."]
    text = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota."
    assert windows(text, offsets, 15) == ["Alpha beta gamma. Delta epsilon zeta.", "Eta theta iota."]


@pytest.fixture(scope="module")
def e5_offsets():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(E5_TOKENIZER))
    return lambda text: tokenizer.encode(text, add_special_tokens=False).offsets


@pytest.mark.parametrize("text, limit, expected", [
    ("Internationalization considerations everywhere", 3, ["Internationalization", "considerations everywhere"]),
    ("Price 5 ½ today", 3, ["Price 5", "½", "today"]),  # '½' is three tokens sharing one span
    ("Se fue. ¡Basta ya! Nadie habló.", 6, ["Se fue.", "¡Basta ya!", "Nadie habló."]),  # a lone '▁' before '¡'
    ("¡í!. ¡í!.", 4, ["¡í!", ".", "¡í!", "."]),  # five tokens each, no word start to cut at
])
def test_e5_windows(e5_offsets, text, limit, expected):
    parts = windows(text, e5_offsets, limit)
    assert parts == expected
    assert all(len(e5_offsets(p)) <= limit for p in parts)


def test_e5_groups_over_the_limit_stay_whole_and_blank_windows_are_dropped(e5_offsets):
    assert windows("Price 5 ½ today", e5_offsets, 1) == ["Price", "5", "½", "today"]
    assert windows("Dijo: ¡Basta!", e5_offsets, 1) == ["Di", "jo", ":", "¡", "B", "asta", "!"]  # '▁' alone goes


def test_a_word_over_the_limit_is_cut_between_pieces_not_inside_one():
    assert windows("ééééé", regex_tokenizer(space=False, shared=True), 3) == ["ééé", "éé"]


def test_a_group_sharing_a_span_that_does_not_fit_starts_the_next_window():
    offsets = lambda t: [span for i, ch in enumerate(t) if not ch.isspace() for span in [(i, i + 1)] * (60 if ch == "½" else 1)]
    assert windows("w " * 50 + "½ end", offsets, 100) == ["w " * 49 + "w", "½ end"]  # not 110 tokens in one


def test_no_sentence_cut_inside_a_token_that_runs_across_the_sentence_start():
    offsets = lambda t: [m.span() for m in re.finditer(r"\. \w|\w+|\S", t)]  # '. C' is one token
    assert windows("Aa bb. Cc dd.", offsets, 3) == ["Aa", "bb. Cc", "dd."]
