"""Backends against each other on the tiny model; auto choice, records, errors, the ONNX cache."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from secnews import Classifier, backends
from secnews.backends import agreement, record
from secnews.model_dir import ModelDir

TEXTS = ["Marines seized fentanyl pills at a warehouse in Culiacán.", "Mexico rejected foreign troops.",
         "Thieves drilled an illegal tap into a Pemex pipeline in Hidalgo and filled a tanker truck at night.",
         "The peso rose.", "Both governments agreed to share intelligence on synthetic drug labs and gun trafficking."]


@pytest.fixture()
def model(tiny_model_dir, tmp_path, monkeypatch):
    """The tiny model in a private copy (records are written beside it) and a private ONNX cache."""
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    (copy / record.RECORD).unlink(missing_ok=True)
    monkeypatch.setenv("SECNEWS_CACHE", str(tmp_path / "cache"))
    return ModelDir.read(copy)


def _scores(model, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Classifier(model, backends.load(model, name)).scores(TEXTS)


@pytest.mark.parametrize("name, tolerance", [("torch-bf16", 0.05), ("onnx-int8", 0.05)])
def test_backends_agree_with_the_fp32_reference(model, name, tolerance):
    reference, other = _scores(model, "torch-fp32"), _scores(model, name)
    for a, b in zip(reference, other):
        assert a.shape == b.shape and np.abs(a - b).max() < tolerance
    assert (reference[1].argmax(1) == other[1].argmax(1)).mean() >= 0.8


def test_agreement_is_measured_and_recorded_for_these_weights(model):
    result = agreement.measure(model, {"dev": TEXTS, "test": TEXTS[:3]}, ["torch-bf16"])
    saved = json.loads((model.path / record.RECORD).read_text())
    assert saved == result and saved["weights_sha256"] == model.weights_sha256
    bf16 = saved["backends"]["torch-bf16"]
    assert set(bf16) == {"dev", "test", "all", "passed"} and bf16["dev"]["n"] == len(TEXTS)
    assert bf16["all"]["n"] == len(TEXTS) + 3
    assert 0.0 <= bf16["dev"]["threat_agreement"] <= 1.0 and bf16["dev"]["max_threat_score_diff"] >= 0.0
    assert bf16["passed"] == (bf16["all"]["threat_agreement"] >= 0.995 and bf16["all"]["stance_agreement"] >= 0.995)


def test_compare_counts_decisions_and_stances():
    ref = (np.array([[0.9, 0.1], [0.2, 0.6]]), np.array([[0.7, 0.3], [0.4, 0.6]]))
    other = (np.array([[0.9, 0.6], [0.2, 0.6]]), np.array([[0.2, 0.8], [0.4, 0.6]]))
    result = agreement.compare(ref, other, [0.5, 0.5])
    assert result["threat_agreement"] == 0.75 and result["passages_with_a_threat_change"] == 1
    assert result["stance_agreement"] == 0.5 and result["max_threat_score_diff"] == pytest.approx(0.5)


def _record(model, **passed):
    results = {name: {"dev": {"n": 1, "threat_agreement": 1.0 if ok else 0.9, "stance_agreement": 1.0,
                              "passages_with_a_threat_change": 0, "max_threat_score_diff": 0.0,
                              "max_stance_score_diff": 0.0}, "passed": ok}
               for name, ok in passed.items()}
    record.write_record(model, {k.replace("_", "-"): v for k, v in results.items()})


def test_auto_takes_the_fastest_recorded_backend_this_cpu_runs(model, monkeypatch):
    assert backends.choose(model) == "torch-fp32"  # nothing recorded
    _record(model, torch_bf16=True, onnx_int8=True)
    monkeypatch.setattr(backends, "native_bf16", lambda: True)
    assert backends.choose(model) == "torch-bf16"
    monkeypatch.setattr(backends, "native_bf16", lambda: False)
    assert backends.choose(model) == "onnx-int8"
    _record(model, torch_bf16=True, onnx_int8=False)
    assert backends.choose(model) == "torch-fp32"


def test_a_record_for_other_weights_is_ignored(model, monkeypatch):
    _record(model, torch_bf16=True, onnx_int8=True)
    saved = json.loads((model.path / record.RECORD).read_text())
    saved["weights_sha256"] = "0" * 64
    (model.path / record.RECORD).write_text(json.dumps(saved))
    monkeypatch.setattr(backends, "native_bf16", lambda: True)
    assert record.read_record(model) is None and backends.choose(model) == "torch-fp32"


def test_classifier_says_which_backend_it_uses(model):
    _record(model, torch_bf16=False, onnx_int8=False)
    assert Classifier.load(model.path).backend == "torch-fp32"
    with pytest.warns(UserWarning):
        assert Classifier.load(model.path, backend="onnx-int8").backend == "onnx-int8"


def test_an_explicit_backend_that_failed_its_check_warns_with_the_figures(model):
    _record(model, torch_bf16=False)
    with pytest.warns(UserWarning, match=r"measured agreement: dev: threats 90\.00%, stance 100\.00%"):
        backends.load(model, "torch-bf16")


def test_an_unchecked_backend_warns(model):
    with pytest.warns(UserWarning, match="no agreement check recorded"):
        backends.load(model, "torch-bf16")


def test_unknown_backend_lists_the_available_ones(model):
    with pytest.raises(backends.BackendError, match="unknown backend 'gpu'; available: auto, torch-fp32, torch-bf16, onnx-int8"):
        Classifier.load(model.path, backend="gpu")


def test_onnx_without_onnxruntime_names_the_extra(model, monkeypatch):
    monkeypatch.setattr(backends, "installed", lambda name: name != "onnx-int8")
    with pytest.raises(backends.BackendError, match=r"pip install 'secnews\[onnx\]'"):
        backends.load(model, "onnx-int8")


def test_the_onnx_export_is_cached_by_weights_and_runs_without_torch(model):
    from secnews.backends.onnx_int8 import cached_path

    with pytest.warns(UserWarning):
        backends.load(model, "onnx-int8")
    path = cached_path(model)
    assert path.is_file() and model.weights_sha256 in str(path)
    built = path.stat().st_mtime_ns
    with pytest.warns(UserWarning):
        backends.load(model, "onnx-int8")
    assert path.stat().st_mtime_ns == built
    code = ("import sys, warnings; warnings.simplefilter('ignore'); from secnews import Classifier; "
            f"c = Classifier.load({str(model.path)!r}, backend='onnx-int8'); c.classify('Fentanyl in a truck.'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_check_backends_command_writes_the_record(model, tmp_path, capsys):
    from secnews.cli import main

    data = tmp_path / "dev.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    assert main(["check-backends", str(data), "--model", str(model.path), "--backends", "torch-bf16"]) == 0
    assert "| torch-bf16 | dev | 5 |" in capsys.readouterr().out
    assert "torch-bf16" in json.loads((model.path / record.RECORD).read_text())["backends"]
