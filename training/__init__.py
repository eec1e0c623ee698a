"""Training side of secnews: the labelled corpus, its validator and the recipe."""
