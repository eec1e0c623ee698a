"""Trend: per period (and group), article counts, threat shares and the mean cooperation index.

The input is what `secnews classify --output FILE` writes: JSONL records holding the input
fields and a `secnews` object (the prediction's to_dict()), or CSV rows holding the input columns
and the flat `secnews_*` columns (list columns joined with ';').
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..inputs import InputError, Unreadable, read_rows
from ..results import PREFIX
from . import PERIODS, RESAMPLES

_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%Y/%m/%d")


def parse_date(value: Any) -> pd.Timestamp | None:
    """A date or time as written (time zone dropped, not converted), or None if unparseable.

    Accepts ISO 8601 (2025-02-03, 2025-02-03T10:00:00Z), RFC 2822 (Mon, 03 Feb 2025 10:00:00
    +0000) and dates such as Feb 3, 2025 / Feb. 3, 2025 / February 3, 2025 / 3 Feb 2025 / 2025/02/03.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.match(r"\d{4}-\d{2}", text):
        try:
            return _naive(pd.to_datetime(text, format="ISO8601"))
        except ValueError:
            return None
    plain = re.sub(r"\bSept\b", "Sep", text.replace(".", ""))
    for fmt in _FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(plain, fmt))
        except ValueError:
            continue
    try:
        return _naive(pd.Timestamp(parsedate_to_datetime(text)))
    except (TypeError, ValueError):
        return None


def _naive(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def read_records(path: str | Path, date_field: str = "date", *, group_by: str | None = None,
                 skip_invalid: bool = False) -> pd.DataFrame:
    """One row per record: `date`, the `group_by` field (if any), `threats`, `stance`, `cooperation`.

    A record whose date is missing or unparseable (or that lacks the `group_by` field) raises
    InputError naming file:line, or with `skip_invalid` is left out and counted in
    `attrs["skipped"]`. `attrs` also holds `source`, `model` (the model names the records carry),
    `threat_labels` and `skipped_at` (the first few file:line of skipped records).
    """
    rows, skipped, labels, models = [], [], {}, {}
    for where, record in read_rows(str(path), "csv" if str(path).lower().endswith(".csv") else "jsonl"):
        if isinstance(record, Unreadable):
            raise InputError(f"{where}: {record.reason}")
        prediction, threat_labels, model = _prediction(where, record)
        labels.update(dict.fromkeys(threat_labels))
        models.update(dict.fromkeys([model] if model else []))
        value = record.get(date_field)
        date = parse_date(value)
        problem = None
        if value is None or (isinstance(value, str) and not value.strip()):
            problem = f"no date: field {date_field!r} is missing or empty"
        elif date is None:
            problem = f"unparseable date {value!r} in field {date_field!r}"
        elif group_by is not None and record.get(group_by) in (None, ""):
            problem = f"no group: field {group_by!r} is missing or empty"
        if problem:
            if not skip_invalid:
                raise InputError(f"{where}: {problem} (use --skip-invalid to skip such records)")
            skipped.append(where)
            continue
        row = {"date": date, **prediction}
        if group_by is not None:
            row[group_by] = str(record[group_by])
        rows.append(row)
    columns = ["date", *([group_by] if group_by else []), "threats", "stance", "cooperation"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame.attrs.update(source=str(path), model=", ".join(models) or None, threat_labels=list(labels),
                       skipped=len(skipped), skipped_at=skipped[:10])
    return frame


def _prediction(where: str, record: dict[str, Any]) -> tuple[dict[str, Any], list[str], str | None]:
    """One record's (threats, stance, cooperation), its threat labels and model name (JSONL or CSV form)."""
    nested = record.get("secnews")
    if isinstance(nested, dict):
        threats, stance, cooperation = nested.get("threats"), nested.get("stance"), nested.get("cooperation")
        labels, model = list(nested.get("threat_scores") or {}), nested.get("model")
    elif f"{PREFIX}stance" in record:
        threats, stance = record.get(f"{PREFIX}threats"), record[f"{PREFIX}stance"]
        cooperation, model = record.get(f"{PREFIX}cooperation"), record.get(f"{PREFIX}model")
        if isinstance(threats, str):
            threats = [t for t in threats.split(";") if t]
        labels = [k.removeprefix(f"{PREFIX}threat_") for k in record if k.startswith(f"{PREFIX}threat_")]
    else:
        raise InputError(f"{where}: no prediction (a 'secnews' object or '{PREFIX}*' columns); "
                         "write the file with secnews classify --output")
    try:
        cooperation = float(cooperation)
    except (TypeError, ValueError):
        cooperation = math.nan
    if not isinstance(threats, list) or not isinstance(stance, str) or not -1.0 <= cooperation <= 1.0:
        raise InputError(f"{where}: malformed prediction (threats, stance or cooperation)")
    return ({"threats": threats, "stance": stance, "cooperation": cooperation}, labels or threats,
            model if isinstance(model, str) and model else None)


def summarise(records: pd.DataFrame, *, by: str = "month", group_by: str | None = None,
              threat_labels: list[str] | None = None, resamples: int = RESAMPLES, seed: int = 0) -> pd.DataFrame:
    """Per period (and group) from the first to the last record's period, empty ones included.

    Columns: `period` (pandas Period), the group column, `articles`, `cooperation_mean`,
    `cooperation_low` / `cooperation_high` (95 % percentile bootstrap over articles, `resamples`
    draws from a generator seeded with `seed`), `share_cooperative`, `share_contentious`, and
    `share_<threat>` per threat label. A period without articles has 0 articles and NaN elsewhere.
    """
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, got {by!r}")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if records.empty:
        raise ValueError(f"{records.attrs.get('source', 'records')}: no records with a valid date")
    labels = threat_labels or records.attrs.get("threat_labels") or sorted({t for ts in records["threats"] for t in ts})
    periods = records["date"].dt.to_period(PERIODS[by])
    span = pd.period_range(periods.min(), periods.max(), freq=PERIODS[by])
    groups = sorted(records[group_by].unique()) if group_by else [None]
    rng = np.random.default_rng(seed)
    rows = []
    for group in groups:
        mine = records if group is None else records[records[group_by] == group]
        by_period = dict(list(mine.groupby(periods[mine.index])))
        for period in span:
            cell = by_period.get(period)
            row: dict[str, Any] = {"period": period, **({group_by: group} if group_by else {})}
            rows.append({**row, **_stats(cell, labels, rng, resamples)})
    out = pd.DataFrame(rows)
    out.attrs.update(records.attrs, by=by, group_by=group_by, resamples=resamples, seed=seed,
                     articles=len(records), threat_labels=list(labels))
    return out


def _stats(cell: pd.DataFrame | None, labels: list[str], rng: np.random.Generator, resamples: int) -> dict[str, Any]:
    if cell is None or cell.empty:
        return {"articles": 0, **dict.fromkeys(_stat_columns(labels), math.nan)}
    coop = cell["cooperation"].to_numpy(dtype=np.float64)
    means = coop[rng.integers(0, len(coop), size=(resamples, len(coop)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    stances = cell["stance"]
    return {
        "articles": len(cell),
        "cooperation_mean": float(coop.mean()),
        "cooperation_low": float(low),
        "cooperation_high": float(high),
        "share_cooperative": float((stances == "cooperative").mean()),
        "share_contentious": float((stances == "contentious").mean()),
        **{f"share_{label}": float(cell["threats"].map(lambda ts: label in ts).mean()) for label in labels},
    }


def _stat_columns(labels: list[str]) -> list[str]:
    return ["cooperation_mean", "cooperation_low", "cooperation_high", "share_cooperative", "share_contentious",
            *(f"share_{label}" for label in labels)]


def trend(path: str | Path, date_field: str = "date", *, by: str = "month", group_by: str | None = None,
          skip_invalid: bool = False, resamples: int = RESAMPLES, seed: int = 0) -> pd.DataFrame:
    """read_records then summarise: the trend table of a classify job's output file."""
    records = read_records(path, date_field, group_by=group_by, skip_invalid=skip_invalid)
    return summarise(records, by=by, group_by=group_by, resamples=resamples, seed=seed)


def write_tables(table: pd.DataFrame, out: str | Path) -> list[Path]:
    """trend.csv and trend.json (the settings in `attrs` and one object per row; NaN as null)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    flat = table.copy()
    flat.insert(1, "period_start", table["period"].map(lambda p: p.start_time.date().isoformat()))
    flat.insert(2, "period_end", table["period"].map(lambda p: p.end_time.date().isoformat()))
    flat["period"] = table["period"].astype(str)
    csv_path, json_path = out / "trend.csv", out / "trend.json"
    flat.to_csv(csv_path, index=False, float_format="%.4f")
    meta = {k: table.attrs.get(k) for k in ("source", "model", "by", "group_by", "articles", "skipped",
                                             "resamples", "seed", "threat_labels")}
    rows = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in flat.to_dict(orient="records")]
    json_path.write_text(json.dumps({**meta, "rows": rows}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [csv_path, json_path]
