"""wirefeed: a stream-processing pipeline that turns news-agency wire feeds into ninjs."""

__version__ = "0.1.0"
