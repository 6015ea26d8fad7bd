"""Readers: one module per format, each ``read_<format>(source, *, name=None) -> ParsedFile``."""
