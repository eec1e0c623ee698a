"""Adapters from table libraries (pandas, datasets, Ray Data) to the Classifier."""
