"""Loading result files.

The runner writes one ``result.json`` per run under
``<runs_dir>/<upstream-slug>/<task>/<run_id>/``. :func:`load_runs` scans a
directory recursively (symlinked directories are not followed), keeps files
named exactly ``result.json``, and turns each into a :class:`Run`. A file that
cannot be read or does not look like a result is skipped with a one-line
warning on the ``superb.leaderboard`` logger; loading never raises for a bad
file. Non-finite metric values (NaN, inf) are dropped with a warning, so a
diverged run shows as a blank cell, never as a number.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .columns import TASKS, columns_of

log = logging.getLogger("superb.leaderboard")

RESULT_NAME = "result.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CorpusVersion:
    """Which data a run used: a table only compares runs on the same version."""

    name: str
    synthetic: bool
    content_hash: str

    def describe(self) -> str:
        """Short human text, e.g. ``"speech_commands_v0.01 (synthetic) 9c1e2f3a"``."""
        kind = " (synthetic)" if self.synthetic else ""
        h = self.content_hash[:8] if self.content_hash else "no hash"
        return f"{self.name}{kind} {h}"


@dataclass(frozen=True)
class Run:
    """One result file, reduced to what the leaderboard uses.

    ``test`` and ``dev`` map metric names to finite floats in stored units
    (fractions, MTWV raw). ``layer_weights`` are the softmax featurizer
    weights, one per upstream layer, or ``None``.
    """

    path: Path
    run_id: str
    upstream: str
    upstream_id: str
    task: str
    test: dict[str, float]
    dev: dict[str, float]
    main_metric: str | None
    featurizer: str
    lr: float | None
    steps: int | None
    seed: Any
    corpus: CorpusVersion
    layer_weights: tuple[float, ...] | None
    created: str
    departures: tuple[str, ...] = field(default=())


class _Bad(Exception):
    """A result file that does not have the expected shape."""


def find_result_files(runs_dir: Path) -> list[Path]:
    """All files named ``result.json`` below ``runs_dir``, sorted."""
    found: list[Path] = []

    def unreadable(err: OSError) -> None:
        log.warning("cannot list %s: %s", err.filename, err.strerror)

    for root, dirs, files in os.walk(runs_dir, onerror=unreadable):
        dirs.sort()
        if RESULT_NAME in files:
            found.append(Path(root) / RESULT_NAME)
    return sorted(found)


def load_runs(runs_dir: Path) -> list[Run]:
    """Parse every ``result.json`` under ``runs_dir``; bad files are skipped with a warning."""
    runs: list[Run] = []
    for path in find_result_files(runs_dir):
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            runs.append(parse_result(data, path))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, _Bad) as err:
            msg = str(err).replace("\n", " ")
            log.warning("skipping %s: %s", path, msg)
    return runs


def _finite_metrics(raw: Any, where: str) -> tuple[dict[str, float], list[str]]:
    """Numeric entries of a metrics dict, and the names of non-finite ones."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        raise _Bad(f"{where} is not an object")
    out: dict[str, float] = {}
    bad: list[str] = []
    for k, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if math.isfinite(v):
            out[str(k)] = float(v)
        else:
            bad.append(f"{where}.{k}={v!r}")
    return out, bad


def _text(v: Any, default: str = "") -> str:
    return v if isinstance(v, str) else default


def parse_result(data: Any, path: Path) -> Run:
    """Validate one parsed result file; raise ``_Bad`` with a short reason if unusable."""
    if not isinstance(data, dict):
        raise _Bad("not a JSON object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise _Bad(f"schema_version {version!r} is not {SCHEMA_VERSION}")
    upstream = data.get("upstream")
    if not isinstance(upstream, str) or not upstream:
        raise _Bad("no 'upstream' name")
    task = data.get("task")
    if task not in TASKS:
        raise _Bad(f"unknown task {task!r}")
    metrics = data.get("metrics")
    if not isinstance(metrics, dict):
        raise _Bad("no 'metrics' object")
    test, bad_test = _finite_metrics(metrics.get("test"), "metrics.test")
    dev, bad_dev = _finite_metrics(metrics.get("dev"), "metrics.dev")
    if not any(c.metric in test for c in columns_of(task)):
        wanted = " or ".join(c.metric for c in columns_of(task))
        extra = f" ({', '.join(bad_test)})" if bad_test else ""
        raise _Bad(f"metrics.test has no finite {wanted}{extra}")
    if bad_test or bad_dev:
        log.warning("ignoring non-finite %s in %s", ", ".join(bad_test + bad_dev), path)

    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    lr = config.get("lr")
    lr = float(lr) if isinstance(lr, (int, float)) and not isinstance(lr, bool) else None
    steps = config.get("steps")
    steps = steps if isinstance(steps, int) and not isinstance(steps, bool) else None
    seed = config.get("seed")
    if not isinstance(seed, (int, str)) or isinstance(seed, bool):
        seed = None

    corpus_raw = data.get("corpus") if isinstance(data.get("corpus"), dict) else {}
    corpus = CorpusVersion(
        name=_text(corpus_raw.get("name"), "unknown corpus"),
        synthetic=bool(corpus_raw.get("synthetic", False)),
        content_hash=_text(corpus_raw.get("content_hash")),
    )

    weights = data.get("layer_weights")
    if weights is not None:
        ok = (
            isinstance(weights, list)
            and len(weights) > 0
            and all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) for w in weights)
        )
        if not ok:
            log.warning("ignoring malformed layer_weights in %s", path)
        weights = tuple(float(w) for w in weights) if ok else None

    main = data.get("main_metric")
    main_name = main.get("name") if isinstance(main, dict) and isinstance(main.get("name"), str) else None
    prov = data.get("provenance") if isinstance(data.get("provenance"), dict) else {}
    departures = data.get("departures")
    departures = tuple(d for d in departures if isinstance(d, str)) if isinstance(departures, list) else ()

    return Run(
        path=path,
        run_id=_text(data.get("run_id")) or path.parent.name,
        upstream=upstream,
        upstream_id=_text(data.get("upstream_id")) or upstream,
        task=task,
        test=test,
        dev=dev,
        main_metric=main_name,
        featurizer=_text(config.get("featurizer")) or "default",
        lr=lr,
        steps=steps,
        seed=seed,
        corpus=corpus,
        layer_weights=weights,
        created=_text(prov.get("created")),
        departures=departures,
    )
