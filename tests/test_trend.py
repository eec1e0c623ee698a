"""Trend figures on a hand-made table with known answers; dates; errors with file:line; the CLI."""

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from secnews.analysis.trend import parse_date, read_records, summarise, trend
from secnews.inputs import InputError

REPO = Path(__file__).resolve().parents[1]
LABELS = ["drug_trafficking", "fuel_theft"]
# (date, outlet, threats, stance, cooperation): January 3 articles, February none, March 1, April 2.
TABLE = [
    ("2025-01-02", "wire", ["drug_trafficking"], "cooperative", 0.8),
    ("2025-01-15T10:00:00Z", "daily", [], "contentious", -0.6),
    ("Jan 31, 2025", "wire", ["drug_trafficking", "fuel_theft"], "neutral", 0.1),
    ("2025-03-09", "daily", ["fuel_theft"], "cooperative", 0.5),
    ("2025-04-01", "wire", [], "contentious", -0.9),
    ("April 30, 2025", "wire", ["drug_trafficking"], "contentious", -0.3),
]


def prediction(threats, stance, cooperation):
    return {"threats": threats, "threat_scores": {l: float(l in threats) for l in LABELS}, "stance": stance,
            "stance_scores": {}, "cooperation": cooperation, "passages": [], "model": "tiny-model", "backend": "torch-fp32"}


def write_jsonl(path, table=TABLE):
    with path.open("w") as handle:
        for i, (date, outlet, *p) in enumerate(table):
            handle.write(json.dumps({"id": i, "date": date, "outlet": outlet, "secnews": prediction(*p)}) + "\n")
    return path


def write_csv(path, table=TABLE):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "date", "outlet", "secnews_threats", "secnews_stance", "secnews_cooperation",
                         *(f"secnews_threat_{l}" for l in LABELS), "secnews_model"])
        for i, (date, outlet, threats, stance, coop) in enumerate(table):
            writer.writerow([i, date, outlet, ";".join(threats), stance, coop, *(float(l in threats) for l in LABELS),
                             "tiny-model"])
    return path


@pytest.mark.parametrize("writer", [write_jsonl, write_csv])
def test_monthly_figures_have_known_answers(tmp_path, writer):
    path = writer(tmp_path / ("r.jsonl" if writer is write_jsonl else "r.csv"))
    t = trend(path, "date", by="month")
    assert [str(p) for p in t["period"]] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert t["articles"].tolist() == [3, 0, 1, 2]
    jan, feb, mar, apr = (t.iloc[i] for i in range(4))
    assert jan["cooperation_mean"] == pytest.approx(0.1) and apr["cooperation_mean"] == pytest.approx(-0.6)
    assert jan["share_drug_trafficking"] == pytest.approx(2 / 3) and jan["share_fuel_theft"] == pytest.approx(1 / 3)
    assert jan["share_cooperative"] == pytest.approx(1 / 3) and apr["share_contentious"] == 1.0
    assert all(math.isnan(feb[c]) for c in t.columns if c not in ("period", "articles"))  # a gap, not zeros
    assert mar["cooperation_low"] == mar["cooperation_high"] == mar["cooperation_mean"] == 0.5
    for row in (jan, apr):
        assert row["cooperation_low"] <= row["cooperation_mean"] <= row["cooperation_high"]
        assert row["cooperation_low"] < row["cooperation_high"]
    assert jan["cooperation_low"] == pytest.approx(-0.6) and jan["cooperation_high"] == pytest.approx(0.8)  # small n
    assert t.attrs["model"] == "tiny-model" and t.attrs["articles"] == 6 and t.attrs["threat_labels"] == LABELS


def test_bootstrap_interval_is_seeded_and_narrows_with_more_articles():
    coop = [(-1) ** i * (i % 7) / 10 for i in range(200)]
    records = pd.DataFrame({"date": pd.to_datetime(["2025-05-01"] * 200), "threats": [[]] * 200,
                            "stance": ["neutral"] * 200, "cooperation": coop})
    one, again, other = (summarise(records, seed=s).iloc[0] for s in (3, 3, 4))
    assert one["cooperation_low"] == again["cooperation_low"] and one["cooperation_low"] != other["cooperation_low"]
    mean, sd = pd.Series(coop).mean(), pd.Series(coop).std()
    assert one["cooperation_low"] < mean < one["cooperation_high"]
    assert one["cooperation_high"] - one["cooperation_low"] == pytest.approx(2 * 1.96 * sd / 200 ** 0.5, rel=0.2)


def test_periods_and_groups(tmp_path):
    records = read_records(write_jsonl(tmp_path / "r.jsonl"), group_by="outlet")
    quarters = summarise(records, by="quarter", group_by="outlet")
    assert [(str(p), g, n) for p, g, n in quarters[["period", "outlet", "articles"]].itertuples(index=False)] == [
        ("2025Q1", "daily", 2), ("2025Q2", "daily", 0), ("2025Q1", "wire", 2), ("2025Q2", "wire", 2)]
    assert summarise(records, by="year")["articles"].tolist() == [6]
    weeks = summarise(records, by="week")
    assert str(weeks["period"][0]) == "2024-12-30/2025-01-05" and weeks["articles"].sum() == 6
    assert len(weeks) == len(pd.period_range("2024-12-30", "2025-04-30", freq="W"))
    with pytest.raises(ValueError, match="by must be one of"):
        summarise(records, by="day")


@pytest.mark.parametrize("text, expected", [
    ("2025-02-03", "2025-02-03 00:00"), ("2025-02-03T10:00:00Z", "2025-02-03 10:00"),
    ("2025-02-03T23:30:00-06:00", "2025-02-03 23:30"), ("Feb 3, 2025", "2025-02-03 00:00"),
    ("Feb. 3, 2025", "2025-02-03 00:00"), ("February 3, 2025", "2025-02-03 00:00"), ("3 Feb 2025", "2025-02-03 00:00"),
    ("Sept. 9, 2024", "2024-09-09 00:00"), ("2025/02/03", "2025-02-03 00:00"),
    ("Mon, 03 Feb 2025 10:00:00 +0000", "2025-02-03 10:00"),
])
def test_date_formats(text, expected):
    assert parse_date(text).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-45", "03/02/2025", "", None, 20250203])
def test_unparseable_dates(bad):
    assert parse_date(bad) is None


def test_bad_dates_name_file_and_line_or_are_skipped(tmp_path):
    table = [*TABLE[:2], ("not a date", "wire", [], "neutral", 0.0), *TABLE[2:], ("", "wire", [], "neutral", 0.0)]
    path = write_jsonl(tmp_path / "r.jsonl", table)
    with pytest.raises(InputError, match=r"r\.jsonl:3: unparseable date 'not a date' in field 'date'"):
        read_records(path)
    records = read_records(path, skip_invalid=True)
    assert len(records) == 6 and records.attrs["skipped"] == 2 and records.attrs["skipped_at"][1].endswith(":8")
    csv_path = write_csv(tmp_path / "r.csv", table)
    with pytest.raises(InputError, match=r"r\.csv:4: unparseable date"):
        read_records(csv_path)
    with pytest.raises(InputError, match=r"r\.jsonl:1: no date: field 'published' is missing or empty"):
        read_records(path, "published")


def test_records_without_predictions_fail(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text('{"date": "2025-01-01", "text": "x"}\n')
    with pytest.raises(InputError, match=r"plain\.jsonl:1: no prediction"):
        read_records(path)


def secnews(*args):
    return subprocess.run([sys.executable, "-m", "secnews", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_cli_trend(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [*TABLE, ("31/31/2025", "wire", [], "neutral", 0.0)])
    bad = secnews("trend", path, "--date-field", "date")
    assert bad.returncode == 2 and f"{path}:7: unparseable date '31/31/2025'" in bad.stderr
    out = tmp_path / "out"
    run = secnews("trend", path, "--date-field", "date", "--by", "quarter", "--group-by", "outlet", "--out", out,
                  "--skip-invalid")
    assert run.returncode == 0, run.stderr
    assert "skipped 1 record" in run.stderr and "2025Q1" in run.stdout
    assert {p.name for p in out.iterdir()} == {"trend.csv", "trend.json", "cooperation.png", "threats.png"}
    written = json.loads((out / "trend.json").read_text())
    assert written["skipped"] == 1 and written["group_by"] == "outlet" and written["model"] == "tiny-model"
    assert [r["articles"] for r in written["rows"]] == [2, 0, 2, 2] and written["rows"][1]["cooperation_mean"] is None
    rows = list(csv.DictReader((out / "trend.csv").open()))
    assert rows[0]["period_start"] == "2025-01-01" and rows[0]["period_end"] == "2025-03-31"
