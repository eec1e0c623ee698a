"""`secnews.ray`: the Ray Data adapter (see secnews.integrations.ray); `pip install 'secnews[ray]'`."""

from secnews.integrations.ray import REJECTED, classify_dataset

__all__ = ["REJECTED", "classify_dataset"]
