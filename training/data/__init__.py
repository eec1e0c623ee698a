"""The labelled corpus (train/dev/test JSONL) and its validator: `python -m training.data check`."""

from .validate import VERSION, CorpusError, CorpusReport, dataset_name, validate

__all__ = ["VERSION", "CorpusError", "CorpusReport", "dataset_name", "validate"]
