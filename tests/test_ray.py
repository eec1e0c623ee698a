"""secnews.ray on a local 2-CPU Ray: Classifier's answers, rows and columns kept, rejections, retries."""

import json
import os
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

import pyarrow as pa  # noqa: E402  (after the skip: pyarrow comes with the ray extra)
import pyarrow.parquet as pq  # noqa: E402

from conftest import TINY_CORPUS  # noqa: E402
from secnews import Classifier  # noqa: E402
from secnews.integrations import ray as secnews_ray  # noqa: E402
from secnews.ray import REJECTED, classify_dataset  # noqa: E402
from secnews.results import flat_columns  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PASSAGES = [row[2] for rows in TINY_CORPUS.values() for row in rows]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    saved = context.execution_options.preserve_order, context.enable_progress_bars
    context.execution_options.preserve_order, context.enable_progress_bars = True, False
    yield
    context.execution_options.preserve_order, context.enable_progress_bars = saved
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return Classifier.load(tiny_model_dir)


def expected_rows(rows, predictions):
    return [{**row, **flat_columns(p), REJECTED: None} for row, p in zip(rows, predictions)]


def test_passages_match_classifier_with_order_and_columns(tiny, tiny_model_dir):
    texts = [PASSAGES[i % len(PASSAGES)] + (" " + PASSAGES[(3 * i) % len(PASSAGES)]) * (i % 3) for i in range(40)]
    rows = [{"id": i, "text": t, "meta": {"tags": ["a", str(i)], "score": i / 2}} for i, t in enumerate(texts)]
    ds = ray.data.from_items(rows, override_num_blocks=4)  # 4 blocks of 10 rows = the 4 batches
    out = classify_dataset(ds, model=tiny_model_dir, batch_size=10, concurrency=2).take_all()
    predictions = [p for start in range(0, 40, 10) for p in tiny.classify(texts[start:start + 10])]
    assert out == expected_rows(rows, predictions)
    assert list(out[0]) == ["id", "text", "meta", *flat_columns(predictions[0]), REJECTED]


def test_articles_match_classify_article(tiny, tiny_model_dir):
    articles = ["\n\n".join(PASSAGES[i:i + 1 + i % 4]) for i in range(6)]
    rows = [{"id": i, "body": a} for i, a in enumerate(articles)]
    ds = ray.data.from_items(rows, override_num_blocks=6)
    out = classify_dataset(ds, text_column="body", unit="article", model=tiny_model_dir, batch_size=1,
                           concurrency=2).take_all()
    assert out == expected_rows(rows, [tiny.classify_article(a) for a in articles])


def test_missing_empty_and_non_text_rows_are_kept_and_rejected(tiny, tiny_model_dir):
    rows = [{"id": 0, "text": PASSAGES[0]}, {"id": 1, "text": None}, {"id": 2, "text": ""},
            {"id": 3, "text": " \n\t"}, {"id": 4, "text": PASSAGES[1]}]
    ds = ray.data.from_items(rows, override_num_blocks=1)
    out = classify_dataset(ds, model=tiny_model_dir, concurrency=1).take_all()
    assert [r["id"] for r in out] == [0, 1, 2, 3, 4]
    empty = "missing or empty field 'text'"
    assert [r[REJECTED] for r in out] == [None, empty, empty, empty, None]
    assert out[0] == expected_rows(rows[:1], tiny.classify(PASSAGES[:1]))[0]
    for row in out[1:4]:
        assert all(row[name] is None for name in flat_columns(tiny.classify(PASSAGES[0])))
    numbers = classify_dataset(ray.data.range(3), text_column="id", model=tiny_model_dir, concurrency=1).take_all()
    assert [r[REJECTED] for r in numbers] == ["field 'id' is int, expected a string"] * 3


def test_missing_text_column_taken_columns_and_bad_unit_are_errors(tiny_model_dir):
    ds = ray.data.from_items([{"body": "Agents seized rifles."}])
    with pytest.raises(Exception, match="no text column 'text'"):
        classify_dataset(ds, model=tiny_model_dir, concurrency=1).materialize()
    with pytest.raises(Exception, match=r"already has prediction columns \['secnews_stance'\]"):
        labelled = ray.data.from_items([{"text": "Agents seized rifles.", "secnews_stance": "neutral"}])
        classify_dataset(labelled, model=tiny_model_dir, concurrency=1).materialize()
    with pytest.raises(ValueError, match="unit must be one of"):
        classify_dataset(ds, unit="sentence")


def test_an_actor_killed_mid_job_is_restarted_and_every_row_comes_once(tiny_model_dir, tmp_path, monkeypatch):
    marker = tmp_path / "died"
    base = secnews_ray._Labeller

    class DiesOnce(base):  # pickled by value into the actor; exits the whole process on its 3rd call
        calls = 0

        def __call__(self, batch):
            DiesOnce.calls += 1
            if DiesOnce.calls == 3 and not marker.exists():
                marker.touch()
                os._exit(1)
            return super().__call__(batch)

    monkeypatch.setattr(secnews_ray, "_Labeller", DiesOnce)
    rows = [{"id": i, "text": PASSAGES[i % len(PASSAGES)]} for i in range(40)]
    ds = ray.data.from_items(rows, override_num_blocks=10)
    out = classify_dataset(ds, model=tiny_model_dir, batch_size=4, concurrency=1).take_all()
    assert marker.exists()
    assert sorted(r["id"] for r in out) == list(range(40))
    assert all(r[REJECTED] is None and r["secnews_stance"] for r in out)


def test_json_files_to_parquet_with_an_autoscaling_pool(tmp_path, tiny_model_dir):
    source = tmp_path / "in"
    source.mkdir()
    for part in range(2):
        lines = [json.dumps({"id": f"{part}-{i}", "text": PASSAGES[i]}) for i in range(8)]
        (source / f"part-{part}.jsonl").write_text("\n".join(lines) + "\n")
    ds = ray.data.read_json(str(source))
    classify_dataset(ds, model=tiny_model_dir, batch_size=4).write_parquet(str(tmp_path / "out"))
    table = pq.read_table(tmp_path / "out")
    assert table.num_rows == 16 and sorted(table["id"].to_pylist()) == sorted(f"{p}-{i}" for p in range(2) for i in range(8))
    assert table.schema.field("secnews_threats").type.value_type == pa.string()
    assert table.schema.field("secnews_threat_fuel_theft").type == pa.float64()


def test_shipped_model_through_ray():
    lines = (REPO / "training" / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[:6]]
    rows = [{"text": t} for t in texts]
    out = classify_dataset(ray.data.from_items(rows, override_num_blocks=1), concurrency=1).take_all()
    assert out == expected_rows(rows, Classifier.load().classify(texts))
