"""Loading result files into pandas.

The runner writes one ``result.json`` per run under
``<runs_dir>/<upstream-slug>/<task>/<run_id>/``. Files named exactly
``result.json`` are found recursively (symlinked directories are not
followed). A file that cannot be read or does not look like a result is
skipped with a one-line warning on the ``superb.leaderboard`` logger; loading
never raises for a bad file. Non-finite metric values (NaN, inf) are dropped
with a warning, so a diverged run shows as a blank cell, never as a number.

Two views of the same files:

* :func:`load_results` -- the long-form :class:`pandas.DataFrame` for your own
  analyses, one row per (run, split, metric) (see ``docs/leaderboard.md``);
* :func:`load_runs` -- one row per run, with the run-level extras the
  leaderboard draws (layer weights, QbE's per-layer dev curve).
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .columns import TASKS, columns_of

log = logging.getLogger("superb.leaderboard")

RESULT_NAME = "result.json"
PROFILES = "profiles"  # superb profile's folder: its single-layer runs are not leaderboard rows
SCHEMA_VERSION = 1

#: Columns of :func:`load_results`, in order.
RESULT_COLUMNS = ("upstream", "task", "metric", "split", "seed", "lr", "value", "corpus", "run_id",
                  "upstream_id", "featurizer", "steps", "synthetic", "corpus_hash", "created", "path")
#: Columns of :func:`load_runs` besides the metric dicts ``test`` and ``dev``.
RUN_COLUMNS = ("run_id", "upstream", "upstream_id", "featurizer", "task", "lr", "steps", "seed", "corpus",
               "synthetic", "corpus_hash", "main_metric", "num_layers", "layer_weights", "qbe_dev_per_layer",
               "created", "departures", "converged", "path")


class _Bad(Exception):
    """A result file that does not have the expected shape."""


def find_profiles(runs_dir: Path) -> list[tuple[str, str, Path]]:
    """``(upstream_id, task, picture)`` of every ``superb profile`` under ``runs_dir/profiles``."""
    found = []
    for path in sorted((Path(runs_dir) / PROFILES).glob("*/*/profile.json")):
        try:
            data = json.loads(path.read_text())
            found.append((str(data["upstream_id"]), str(data["task"]), path.with_suffix(".png")))
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("skipping %s: not a readable profile", path)
    return [f for f in found if f[2].is_file()]


def find_result_files(runs_dir: Path) -> list[Path]:
    """All files named ``result.json`` below ``runs_dir``, sorted (not those of layer profiles)."""
    found: list[Path] = []

    def unreadable(err: OSError) -> None:
        log.warning("cannot list %s: %s", err.filename, err.strerror)

    for root, dirs, files in os.walk(runs_dir, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if d != PROFILES)  # per-layer profile runs are not rows
        if RESULT_NAME in files:
            found.append(Path(root) / RESULT_NAME)
    return sorted(found)


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


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _weights(data: dict, path: Path) -> tuple[float, ...] | None:
    weights = data.get("layer_weights")
    if weights is None:
        return None
    if isinstance(weights, list) and weights and all(_number(w) is not None for w in weights):
        return tuple(float(w) for w in weights)
    log.warning("ignoring malformed layer_weights in %s", path)
    return None


def _qbe_curve(data: dict) -> dict[int, float] | None:
    """QbE's dev MTWV per searched layer (``qbe.dev_mtwv_per_layer``), or None."""
    raw = data.get("qbe", {}).get("dev_mtwv_per_layer") if isinstance(data.get("qbe"), dict) else None
    if not isinstance(raw, dict):
        return None
    curve = {int(k): _number(v) for k, v in raw.items() if str(k).isdigit() and _number(v) is not None}
    return dict(sorted(curve.items())) or None


def parse_result(data: Any, path: Path) -> dict[str, Any]:
    """Validate one parsed result file into a run record; raise ``_Bad`` with a short reason if unusable."""
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
    steps = config.get("steps")
    seed = config.get("seed")
    corpus = data.get("corpus") if isinstance(data.get("corpus"), dict) else {}
    info = data.get("upstream_info") if isinstance(data.get("upstream_info"), dict) else {}
    weights = _weights(data, path)
    num_layers = info.get("num_layers")
    if not (isinstance(num_layers, int) and not isinstance(num_layers, bool) and num_layers > 0):
        num_layers = len(weights) if weights else None
    main = data.get("main_metric")
    prov = data.get("provenance") if isinstance(data.get("provenance"), dict) else {}
    departures = data.get("departures")
    return {
        "run_id": _text(data.get("run_id")) or path.parent.name,
        "upstream": upstream,
        "upstream_id": _text(data.get("upstream_id")) or upstream,
        "featurizer": _text(config.get("featurizer")) or "default",
        "task": task,
        "lr": _number(config.get("lr")),
        "steps": steps if isinstance(steps, int) and not isinstance(steps, bool) else None,
        "seed": seed if isinstance(seed, (int, str)) and not isinstance(seed, bool) else None,
        "corpus": _text(corpus.get("name"), "unknown corpus"),
        "synthetic": bool(corpus.get("synthetic", False)),
        "corpus_hash": _text(corpus.get("content_hash")),
        "main_metric": main.get("name") if isinstance(main, dict) and isinstance(main.get("name"), str) else None,
        "num_layers": num_layers,
        "layer_weights": weights,
        "qbe_dev_per_layer": _qbe_curve(data) if task == "qbe" else None,
        "created": _text(prov.get("created")),
        "departures": tuple(d for d in departures if isinstance(d, str)) if isinstance(departures, list) else (),
        "converged": data.get("converged") if isinstance(data.get("converged"), bool) else None,
        "path": str(path),
        "test": test,
        "dev": dev,
    }


def load_runs(runs_dir: Path) -> pd.DataFrame:
    """One row per readable ``result.json`` under ``runs_dir`` (columns :data:`RUN_COLUMNS`, ``test``, ``dev``).

    ``test`` and ``dev`` hold dicts metric -> finite value in stored units
    (fractions, MTWV raw); bad files are skipped with a warning.
    """
    records = []
    for path in find_result_files(Path(runs_dir)):
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            records.append(parse_result(data, path))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, _Bad) as err:
            log.warning("skipping %s: %s", path, str(err).replace("\n", " "))
    frame = pd.DataFrame.from_records(records, columns=[*RUN_COLUMNS, "test", "dev"])
    return frame.astype({"lr": "float64", "steps": "Int64", "num_layers": "Int64", "synthetic": "bool"})


def results_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """The long form of :func:`load_runs`: one row per (run, split, metric) (columns :data:`RESULT_COLUMNS`)."""
    keep = [c for c in RESULT_COLUMNS if c in runs.columns]
    parts = []
    for split in ("dev", "test"):
        values = runs[split].map(lambda d: list(d.items()))
        long = runs[keep].assign(split=split, pair=values).explode("pair").dropna(subset=["pair"])
        long["metric"] = long["pair"].str[0]
        long["value"] = long["pair"].str[1].astype("float64")
        parts.append(long.drop(columns="pair"))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS)
    return frame[list(RESULT_COLUMNS)].sort_values(["upstream", "task", "run_id", "split", "metric"],
                                                   ignore_index=True)


def load_results(runs_dir: Path) -> pd.DataFrame:
    """Every result under ``runs_dir`` as a long-form DataFrame, one row per (run, split, metric).

    Columns: upstream, task, metric, split ("dev"/"test"), seed, lr, value
    (stored units: fractions for rates and accuracies, MTWV raw), corpus, run_id,
    upstream_id, featurizer, steps, synthetic, corpus_hash, created, path.
    Example: ``df[df.split == "test"].pivot_table(index="upstream",
    columns=["task", "metric"], values="value")``.
    """
    return results_frame(load_runs(runs_dir))
