"""superb: a SUPERB-style benchmark harness for frozen speech representations."""

__version__ = "0.1.0"
