"""The labelled corpus (train/dev/test JSONL) and its validator: `python -m training.data check`."""

from .validate import CorpusError, CorpusReport, validate

__all__ = ["CorpusError", "CorpusReport", "validate"]
