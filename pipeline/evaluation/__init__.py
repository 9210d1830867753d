"""Evaluation of the pipeline against the real corpus: extraction quality and other measures."""
