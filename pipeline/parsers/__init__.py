"""Wire-format parsers: one module per format, each registering itself in ``registry``.

Modules whose name starts with "_" are helpers shared by several parsers, not parsers.
"""

from pipeline.parsers.base import Parser, ParserRegistry, load_all, registry

__all__ = ["Parser", "ParserRegistry", "load_all", "registry"]
