import threading

import numpy as np
import pytest

import secnews
from secnews import Classifier
from secnews.classifier import DEFAULT_MODEL_DIR


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return Classifier.load(tiny_model_dir, batch_size=2, backend="torch-fp32")


def test_single_text_gives_a_prediction_and_lists_keep_order(clf):
    one = clf.classify("Agents found fentanyl in a truck.")
    assert isinstance(one, secnews.Prediction)
    texts = ["Mexico rejected foreign troops.", "The peso rose.", "Smugglers used a stash house."]
    many = clf.classify(texts)
    assert [p.text for p in many] == texts
    for p in many:
        assert set(p.threat_scores) == set(clf.threat_labels)
        assert p.stance in clf.stance_labels
        assert sum(p.stance_scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert -1.0 <= p.cooperation <= 1.0
        assert p.threats == sorted(p.threats, key=lambda l: -p.threat_scores[l])
        assert all(p.threat_scores[l] >= clf.thresholds[l] for l in p.threats)


def test_batching_and_sorting_do_not_change_scores(clf):
    texts = ["Short.", "A much longer passage about fuel theft from a pipeline in Hidalgo state.", "Mid length text here."]
    together = clf.scores(texts)
    alone = [clf.scores([t]) for t in texts]
    np.testing.assert_allclose(together[0], np.concatenate([a[0] for a in alone]), atol=1e-5)
    np.testing.assert_allclose(together[1], np.concatenate([a[1] for a in alone]), atol=1e-5)



def test_padding_to_the_backends_multiple_is_masked(tiny_model_dir):
    padded = Classifier.load(tiny_model_dir, batch_size=2, backend="torch-fp32")
    inner, widths = padded.runner, []

    class Recording:
        name, pad_multiple = inner.name, 16

        def __call__(self, ids, mask):
            widths.append(ids.shape[1])
            return inner(ids, mask)

    padded.runner = Recording()
    texts = ["Short.", "A much longer passage about fuel theft from a pipeline in Hidalgo state.", "Mid length text here."]
    plain = Classifier.load(tiny_model_dir, batch_size=2, backend="torch-fp32").scores(texts)
    got = padded.scores(texts)
    assert widths and all(w % 16 == 0 for w in widths)
    np.testing.assert_allclose(got[0], plain[0], atol=1e-5)
    np.testing.assert_allclose(got[1], plain[1], atol=1e-5)

def test_long_text_is_windowed_not_cut(clf):
    long_text = " ".join(["Agents found fentanyl in a truck."] * 40)  # ~ 8 tokens x 40 > 64
    windows = clf._window_ids(long_text)
    assert len(windows) > 1 and all(len(w) <= clf.max_seq_length for w in windows)
    assert sum(len(w) - 2 for w in windows) == len(clf.tokenizer.encode(long_text, add_special_tokens=False).ids)
    assert clf.classify(long_text).stance in clf.stance_labels


def test_odd_but_valid_text_is_classified(clf):
    odd = ["x" * 200_000, "tab\tand\x00control\x07chars", "🚚💊🔫 🙂", "Текст на русском и 中文", "a"]
    assert len(clf.classify(odd)) == len(odd)


@pytest.mark.parametrize("bad, error", [(None, TypeError), (5, TypeError), (b"bytes", TypeError),
                                        (["ok", 3], TypeError), ("", ValueError), (["ok", "  "], ValueError)])
def test_bad_input_raises(clf, bad, error):
    with pytest.raises(error):
        clf.classify(bad)


def test_empty_list_gives_empty_list(clf):
    assert clf.classify([]) == []


def test_article_aggregation(clf):
    article = "Fuel thieves tapped a pipeline in Puebla.\n\nBoth nations agreed to share intelligence.\n\nThe peso rose."
    result = clf.classify_article(article)
    assert [p.text for p in result.passages] == article.split("\n\n")
    for label in clf.threat_labels:
        assert result.threat_scores[label] == pytest.approx(max(p.threat_scores[label] for p in result.passages))
    words = np.array([len(p.text.split()) for p in result.passages], dtype=float)
    for stance in clf.stance_labels:
        expected = sum(w * p.stance_scores[stance] for w, p in zip(words, result.passages)) / words.sum()
        assert result.stance_scores[stance] == pytest.approx(expected, abs=1e-5)
    assert result.stance == max(result.stance_scores, key=result.stance_scores.get)
    with pytest.raises(TypeError):
        clf.classify_article(["not", "a", "str"])
    with pytest.raises(ValueError):
        clf.classify_article("\n\n  ")


def test_load_rejects_a_directory_without_a_model(tmp_path, tiny_encoder):
    with pytest.raises(FileNotFoundError, match="not a secnews model directory"):
        Classifier.load(tmp_path)
    with pytest.raises(ValueError, match="not a secnews model \\(model_type 'bert'\\)"):
        Classifier.load(tiny_encoder)


def test_import_is_light_and_default_is_shared(monkeypatch):
    import subprocess
    import sys

    code = "import sys, secnews; print('torch' in sys.modules, 'secnews.classifier' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
    assert out == ["False", "False"]

    from secnews import classifier

    loads = []
    monkeypatch.setattr(classifier, "_default", None)
    monkeypatch.setattr(classifier.Classifier, "load", classmethod(lambda cls, *a, **k: loads.append(1) or object()))
    threads = [threading.Thread(target=classifier.default_classifier) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert DEFAULT_MODEL_DIR.name == "secnews-minilm-v1"
