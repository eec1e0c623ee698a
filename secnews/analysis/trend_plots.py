"""Trend plots (matplotlib, no display needed): cooperation index with its interval and the
article count; threat shares. Periods without articles are gaps in the lines."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

def plot_trend(table: pd.DataFrame, out: str | Path) -> list[Path]:
    """Write cooperation.png and threats.png for a table from `trend.summarise`; return the paths."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [_cooperation(table, out / "cooperation.png"), _threats(table, out / "threats.png")]


def _groups(table: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    field = table.attrs.get("group_by")
    if not field:
        return [(None, table)]
    return [(str(g), part) for g, part in table.groupby(field, sort=True)]


def _x(part: pd.DataFrame) -> pd.Series:
    """Middle of each period, for plotting on a date axis."""
    return part["period"].map(lambda p: p.start_time + (p.end_time - p.start_time) / 2)


def _caption(table: pd.DataFrame, interval: bool) -> str:
    a = table.attrs
    invalid = "date or group" if a.get("group_by") else "date"
    skipped = f", {a['skipped']} skipped: no valid {invalid}" if a.get("skipped") else ""
    return (f"Data: {Path(str(a.get('source', '?'))).name} ({a.get('articles', '?')} articles{skipped}). "
            f"Model: {a.get('model', '?')}." + (f" Interval: 95 % bootstrap over articles ({a.get('resamples', '?')} "
                                                f"resamples, seed {a.get('seed', '?')})." if interval else ""))


def _date_axis(ax, table: pd.DataFrame) -> None:
    """Weeks and months on a date axis; quarters and years labelled by name (2025 Q1, 2025)."""
    import matplotlib.dates as mdates

    periods = table["period"].drop_duplicates().sort_values()
    ax.set_xlim(periods.iloc[0].start_time, periods.iloc[-1].end_time)
    if table.attrs.get("by") in ("quarter", "year"):
        step = max(1, -(-len(periods) // 12))
        shown = periods.iloc[::step]
        ax.set_xticks(list(_x(pd.DataFrame({"period": shown}))))
        ax.set_xticklabels([str(p).replace("Q", " Q") for p in shown])
        return
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _cooperation(table: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    unit = table.attrs.get("by", "month")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, height_ratios=[3, 1.3])
    groups = _groups(table)
    first = table["period"].iloc[0]
    width = (first.end_time - first.start_time).total_seconds() / 86400 * 0.8 / len(groups)  # in days
    for index, (name, part) in enumerate(groups):
        x = _x(part)
        line, = top.plot(x, part["cooperation_mean"], "o-", ms=4, label=name or "mean cooperation index")
        top.fill_between(x, part["cooperation_low"], part["cooperation_high"], color=line.get_color(), alpha=0.2,
                         label=None if name else "95 % interval")
        offset = pd.Timedelta(days=(index - (len(groups) - 1) / 2) * width)
        bottom.bar(x + offset, part["articles"], width=width, color=line.get_color(), label=name)
    top.axhline(0, color="grey", lw=0.8)
    top.set_ylim(-1.05, 1.05)
    top.set_ylabel("cooperation index\nP(cooperative) − P(contentious)")
    top.set_title(f"Cooperation index per {unit}, mean over articles")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_ylabel(f"articles per {unit}")
    bottom.set_xlabel(f"{unit} (gaps: no articles)")
    _date_axis(bottom, table)
    return _save(fig, _caption(table, interval=True), path)


def _threats(table: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    unit = table.attrs.get("by", "month")
    labels = table.attrs.get("threat_labels") or [c.removeprefix("share_") for c in table if c.startswith("share_")
                                                 and c not in ("share_cooperative", "share_contentious")]
    groups = _groups(table)
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 2.2 + 2.8 * len(groups)), sharex=True, squeeze=False)
    for ax, (name, part) in zip(axes[:, 0], groups):
        x = _x(part)
        for label, marker in zip(labels, itertools.cycle("osD^vP")):
            ax.plot(x, 100 * part[f"share_{label}"], marker=marker, ms=4, lw=1.4, label=label.replace("_", " "))
        ax.set_ylim(-3, 103)
        ax.yaxis.set_major_formatter(PercentFormatter())
        ax.set_ylabel("share of articles")
        ax.set_title(f"Articles with each threat, per {unit}" + (f" — {name}" if name else ""))
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    axes[-1, 0].set_xlabel(f"{unit} (gaps: no articles)")
    _date_axis(axes[-1, 0], table)
    return _save(fig, _caption(table, interval=False), path)


def _save(fig, caption: str, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.text(0.01, 0.01, caption, fontsize=8, color="dimgrey", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
