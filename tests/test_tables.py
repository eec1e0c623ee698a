"""classify_frame / classify_dataset: prediction columns added, every original column and row kept."""

import datasets
import pandas as pd
import pytest

from secnews import Classifier
from secnews.integrations.tables import column_names, predict_columns
from secnews.results import flat_columns

TEXTS = ["Marines seized fentanyl pills at a warehouse in Culiacán.", "The peso rose.",
         "Mexico rejected any deployment of foreign troops.\n\nThe two countries signed a joint plan against gun trafficking.",
         "Smugglers packed migrants into a stash house near the border."]


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return Classifier.load(tiny_model_dir, backend="torch-fp32")


@pytest.fixture
def frame():
    return pd.DataFrame({"id": [7, 3, 9, 1], "body": TEXTS, "outlet": ["a", "b", "a", None]}, index=[40, 10, 30, 20])


def test_frame_keeps_columns_index_and_order(clf, frame):
    out = clf.classify_frame(frame, text_column="body")
    assert list(out.columns) == [*frame.columns, *column_names(clf)]
    assert list(out.index) == list(frame.index)
    pd.testing.assert_frame_equal(out[list(frame.columns)], frame)
    expected = [flat_columns(p) for p in clf.classify(TEXTS)]
    assert out["secnews_threats"].tolist() == [e["secnews_threats"] for e in expected]
    assert out["secnews_stance"].tolist() == [e["secnews_stance"] for e in expected]
    assert out["secnews_cooperation"].tolist() == pytest.approx([e["secnews_cooperation"] for e in expected], abs=1e-6)
    assert out["secnews_cooperation"].dtype == "float64" and "secnews_cooperation" not in frame


def test_dataset_round_trip_typed_for_articles(clf, frame):
    ds = datasets.Dataset.from_pandas(frame, preserve_index=False)
    out = clf.classify_dataset(ds, text_column="body", unit="article")
    assert out.column_names == [*ds.column_names, *column_names(clf)]
    assert out.features["secnews_threats"] == datasets.Sequence(datasets.Value("string"))
    assert out.features["secnews_stance"] == datasets.Value("string")
    assert out.features["secnews_cooperation"] == datasets.Value("float64")
    assert out["id"] == [7, 3, 9, 1] and out["outlet"] == ["a", "b", "a", None]
    articles = clf.classify_articles(TEXTS)
    assert out["secnews_stance"] == [a.stance for a in articles]
    assert out["secnews_threats"] == [a.threats for a in articles]


def test_per_batch_function_matches_flat_columns(clf):
    columns = predict_columns(clf, TEXTS[:2])
    assert list(columns) == column_names(clf) and len(columns["secnews_stance"]) == 2
    assert predict_columns(clf, []) == {name: [] for name in column_names(clf)}
    with pytest.raises(ValueError, match="unit"):
        predict_columns(clf, TEXTS, unit="sentence")


def test_bad_tables_fail_clearly(clf, frame):
    with pytest.raises(ValueError, match="no text column 'text'"):
        clf.classify_frame(frame)
    blank = frame.assign(body=[TEXTS[0], "  ", TEXTS[1], TEXTS[2]])
    with pytest.raises(ValueError, match="row 1: 'body' is empty"):
        clf.classify_frame(blank, text_column="body")
    with pytest.raises(ValueError, match="already has prediction columns"):
        clf.classify_frame(clf.classify_frame(frame, text_column="body"), text_column="body")
    ds = datasets.Dataset.from_dict({"text": [TEXTS[0], None]})
    with pytest.raises(ValueError, match="row 1: 'text' is NoneType"):
        clf.classify_dataset(ds)
