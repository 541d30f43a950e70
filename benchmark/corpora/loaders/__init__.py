"""Loaders for real corpus layouts: ``load_<corpus>(root, *, seed) -> Splits``, one module per layout."""
