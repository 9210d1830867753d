"""Enrichment components: language, named entities, places, organisations, subjects,
dates, quotes.

The stage ``pipeline.stages.enrich`` composes them with one ``EnrichConfig``
(``config.py``). Each component loads its model or gazetteer once per process (lazily,
keyed by the part of the config it depends on; the place gazetteer through a disk cache,
``diskcache.py``) and is otherwise a pure function of the text it is given; the data they
rely on lives in ``data/`` beside them.
"""
