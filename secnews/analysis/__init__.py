"""Analysis on top of predictions: evidence (the sentence behind a label) and trends over time.

`trend` and `trend_plots` need the `analysis` extra (pandas, matplotlib); this package itself
imports neither.
"""

PERIODS = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}  # --by -> pandas period frequency
RESAMPLES = 1000  # bootstrap resamples for the cooperation interval
