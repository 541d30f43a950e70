"""Lazy name registries: entries are ``"module:attribute"`` strings, imported only when chosen."""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import Any

from benchmark.errors import UserError


@dataclass(frozen=True)
class Entry:
    """A registered object: where it lives and one line saying what it is."""

    target: str  # "package.module:Attribute"
    summary: str = ""


def suggest(name: str, candidates: list[str]) -> str:
    """Return ``" Did you mean: a, b?"`` for the closest candidates, or ``""``; a name that differs from
    a candidate only in case suggests that candidate alone (``KS`` -> ``ks``)."""
    by_lower = {c.lower(): c for c in candidates}
    if name.lower() in by_lower:
        return f" Did you mean: {by_lower[name.lower()]}?"
    close = [by_lower[c] for c in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.5)]
    return f" Did you mean: {', '.join(close)}?" if close else ""


def import_target(target: str) -> Any:
    """Import ``"module:attribute"`` and return the attribute."""
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError as err:
        raise UserError(f"{module.__file__}: has no attribute {attribute!r} (registry entry {target!r})") from err


class Registry:
    """Names to lazily imported objects, with "did you mean" for typos.

    Args:
        kind: what the entries are, for messages (``"upstream"``, ``"head"``).
        entries: name to :class:`Entry`.
    """

    def __init__(self, kind: str, entries: dict[str, Entry]):
        self.kind = kind
        self._entries = dict(entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def summary(self, name: str) -> str:
        return self.entry(name).summary

    def entry(self, name: str) -> Entry:
        if name not in self._entries:
            raise UserError(f"unknown {self.kind} {name!r}.{suggest(name, self.names())} "
                            f"Run `superb list` to see them all.")
        return self._entries[name]

    def load(self, name: str) -> Any:
        """Import and return the object registered as ``name``."""
        return import_target(self.entry(name).target)
