"""Enrichment components: language, named entities, places, organisations, subjects, quotes.

The stage ``pipeline.stages.enrich`` composes them. Each component loads its model or
gazetteer once per process (lazily, behind ``functools.cache``) and is otherwise a pure
function of the text it is given; the data they rely on lives in ``data/`` beside them.
"""
