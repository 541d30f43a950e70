"""Tasks are data: ``tasks.yaml`` read into :class:`TaskSpec` and checked at load time.

Every error names the file and the key (``tasks.yaml: ks.training.lr must be a
number, got 'fast'``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.errors import UserError
from benchmark.registry import suggest

SAMPLERS = ("class_balanced", "random", "bucketed")
OPTIMIZERS = ("Adam", "AdamW")
TRAINING_KEYS = {"optimizer": str, "lr": float, "batch_size": int, "grad_accum": int,
                 "steps": int, "eval_interval": int, "grad_clip": float}
SCHEMA: dict[str, Any] = {
    "version": int,
    "description": str,
    "corpus": {"format": str, "env": str, "default": str},
    "problem": str,
    "metric": {"name": str, "higher_is_better": bool},
}
OPTIONAL_CORPUS_KEYS = {"gain_db": float}  # level change before the upstream (KS: -3, as s3prl)
OPTIONAL_SCHEMA: dict[str, Any] = {  # tasks without a trained head (QbE) leave these out
    "head": {"name": str},
    "sampler": str,
    "training": TRAINING_KEYS,
}
SYNTHETIC_SECTIONS = ("head", "options", "lr_grid")  # synthetic overrides that are not training keys
FREE_SECTIONS = ("synthetic", "departures", "options", "leaderboard", "lr_grid")  # checked below / by the problem
# How the leaderboard treats the task (docs/leaderboard.md); every key optional.
LEADERBOARD_KEYS = {"noise_floor": float, "published_comparable": bool, "published_note": str}
TYPE_NAMES = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}
OPEN_SECTIONS = {"head"}  # may hold extra keys (the head's arguments)
TRAINED_KEYS = ("head", "sampler", "training")  # all or none


def tasks_file() -> Path:
    """``$SUPERB_TASKS`` or the ``tasks.yaml`` beside the ``benchmark`` package."""
    env = os.environ.get("SUPERB_TASKS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "tasks.yaml"


@dataclass(frozen=True)
class TaskSpec:
    """One task of ``tasks.yaml``.

    Attributes:
        name: the key in ``tasks.yaml`` (``"ks"``).
        raw: the validated entry, as written.
    """

    name: str
    raw: dict[str, Any]

    @property
    def version(self) -> int:
        return self.raw["version"]

    @property
    def description(self) -> str:
        return self.raw["description"]

    @property
    def corpus(self) -> dict[str, str]:
        return self.raw["corpus"]

    @property
    def gain_db(self) -> float:
        """Level change applied to every clip before the upstream (``corpus.gain_db``, default 0), in dB."""
        return float(self.raw["corpus"].get("gain_db", 0.0))

    @property
    def problem(self) -> str:
        return self.raw["problem"]

    @property
    def head(self) -> str | None:
        """The head's name in :data:`downstreams.HEADS`, or ``None`` when nothing is trained."""
        return self.raw["head"]["name"] if "head" in self.raw else None

    @property
    def head_args(self) -> dict[str, Any]:
        return {k: v for k, v in self.raw.get("head", {}).items() if k != "name"}

    @property
    def sampler(self) -> str | None:
        return self.raw.get("sampler")

    @property
    def options(self) -> dict[str, Any]:
        """Problem-specific settings (``options:``), free-form."""
        return dict(self.raw.get("options", {}))

    @property
    def metric(self) -> str:
        return self.raw["metric"]["name"]

    @property
    def higher_is_better(self) -> bool:
        return self.raw["metric"]["higher_is_better"]

    @property
    def leaderboard(self) -> dict[str, Any]:
        """The ``leaderboard:`` settings (noise_floor, published_comparable, published_note)."""
        return self.raw.get("leaderboard", {})

    def training(self, synthetic: bool) -> dict[str, Any]:
        """The training settings; the ``synthetic`` overrides apply on the synthetic corpus."""
        settings = dict(self.raw.get("training", {}))
        if synthetic:
            settings.update({k: v for k, v in self.raw.get("synthetic", {}).items() if k not in SYNTHETIC_SECTIONS})
        return settings

    def lr_grid(self, synthetic: bool) -> list[float]:
        """The learning rates ``superb sweep`` tries by default (``lr_grid``, or ``synthetic.lr_grid`` on the
        synthetic corpus); the task's own lr alone when it names none, ``[]`` for a task that trains nothing."""
        if self.head is None:
            return []
        grid = self.raw.get("synthetic", {}).get("lr_grid") if synthetic else None
        grid = grid or self.raw.get("lr_grid") or [self.training(synthetic)["lr"]]
        return [float(lr) for lr in grid]

    def options_for(self, synthetic: bool) -> dict[str, Any]:
        """``options``; on the synthetic corpus ``synthetic.options`` overrides some of them (a mapping
        option, such as ``specaugment``, key by key)."""
        options = self.options
        for key, value in (self.raw.get("synthetic", {}).get("options", {}) if synthetic else {}).items():
            options[key] = {**options[key], **value} if isinstance(value, dict) else value
        return options

    def head_arguments(self, synthetic: bool) -> dict[str, Any]:
        """The head's arguments; ``synthetic.head`` overrides some on the synthetic corpus (a smaller head)."""
        return {**self.head_args, **(self.raw.get("synthetic", {}).get("head", {}) if synthetic else {})}


def _type_ok(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _check(path: Path, where: str, value: Any, schema: Any, open_section: bool = False) -> None:
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise UserError(f"{path}: {where} must be a mapping, got {type(value).__name__}")
        for key, sub in schema.items():
            if key not in value:
                raise UserError(f"{path}: {where}.{key} is missing; add it (see docs/tasks.md)")
            _check(path, f"{where}.{key}", value[key], sub)
        if not open_section:
            for key in value:
                if key not in schema:
                    raise UserError(f"{path}: {where}.{key} is not a known key.{suggest(key, list(schema))}")
    elif not _type_ok(value, schema):
        raise UserError(f"{path}: {where} must be {TYPE_NAMES[schema]}, got {value!r}")


def _check_lr_grid(path: Path, where: str, value: Any) -> None:
    if not (isinstance(value, list) and value and all(_type_ok(v, float) and v > 0 for v in value)):
        raise UserError(f"{path}: {where} must be a non-empty list of positive learning rates, got {value!r}")


def _validate(path: Path, name: str, entry: Any) -> None:
    from benchmark.corpora import CORPUS_FORMATS
    from benchmark.metrics import METRICS
    from benchmark.problems import PROBLEMS
    from downstreams import HEADS

    if not isinstance(entry, dict):
        raise UserError(f"{path}: {name} must be a mapping of settings")
    for key, sub in SCHEMA.items():
        if key not in entry:
            raise UserError(f"{path}: {name}.{key} is missing; add it (see docs/tasks.md)")
        if key == "corpus" and isinstance(entry[key], dict):
            sub = {**sub, **{k: kind for k, kind in OPTIONAL_CORPUS_KEYS.items() if k in entry[key]}}
        _check(path, f"{name}.{key}", entry[key], sub, open_section=key in OPEN_SECTIONS)
    present = [key for key in TRAINED_KEYS if key in entry]
    if present and len(present) != len(TRAINED_KEYS):
        missing = next(key for key in TRAINED_KEYS if key not in entry)
        raise UserError(f"{path}: {name}.{missing} is missing; a trained task needs {', '.join(TRAINED_KEYS)}")
    for key in present:
        _check(path, f"{name}.{key}", entry[key], OPTIONAL_SCHEMA[key], open_section=key in OPEN_SECTIONS)
    known = list(SCHEMA) + list(OPTIONAL_SCHEMA) + list(FREE_SECTIONS)
    extra = set(entry) - set(known)
    if extra:
        key = sorted(extra)[0]
        raise UserError(f"{path}: {name}.{key} is not a known key.{suggest(key, known)}")
    if "lr_grid" in entry:
        _check_lr_grid(path, f"{name}.lr_grid", entry["lr_grid"])
    if not isinstance(entry.get("options", {}), dict):
        raise UserError(f"{path}: {name}.options must be a mapping")
    departures = entry.get("departures", [])
    if not (isinstance(departures, list) and all(isinstance(d, str) for d in departures)):
        raise UserError(f"{path}: {name}.departures must be a list of strings")
    board = entry.get("leaderboard", {})
    if not isinstance(board, dict):
        raise UserError(f"{path}: {name}.leaderboard must be a mapping")
    for key, value in board.items():
        if key not in LEADERBOARD_KEYS:
            hint = suggest(key, list(LEADERBOARD_KEYS))
            raise UserError(f"{path}: {name}.leaderboard.{key} is not a known key.{hint}")
        _check(path, f"{name}.leaderboard.{key}", value, LEADERBOARD_KEYS[key])
    overrides = entry.get("synthetic", {})
    if not isinstance(overrides, dict):
        raise UserError(f"{path}: {name}.synthetic must be a mapping of training overrides")
    for key, value in overrides.items():
        if key == "lr_grid":
            _check_lr_grid(path, f"{name}.synthetic.lr_grid", value)
            continue
        if key == "head":
            known = set(entry.get("head", {})) - {"name"}
            if not isinstance(value, dict) or set(value) - known:
                raise UserError(f"{path}: {name}.synthetic.head must map some of the head's arguments "
                                f"({', '.join(sorted(known)) or 'none'}) to values")
            continue
        if key == "options":
            _check_synthetic_options(path, name, entry.get("options", {}), value)
            continue
        if key not in TRAINING_KEYS:
            raise UserError(f"{path}: {name}.synthetic.{key} is not a training key.{suggest(key, list(TRAINING_KEYS))}")
        _check(path, f"{name}.synthetic.{key}", value, TRAINING_KEYS[key])
    choices = [("problem", entry["problem"], PROBLEMS.names()),
               ("corpus.format", entry["corpus"]["format"], sorted(CORPUS_FORMATS)),
               ("metric.name", entry["metric"]["name"], sorted(METRICS))]
    if present:
        choices += [("sampler", entry["sampler"], SAMPLERS),
                    ("training.optimizer", entry["training"]["optimizer"], OPTIMIZERS),
                    ("head.name", entry["head"]["name"], HEADS.names())]
    for key, value, allowed in choices:
        if value not in allowed:
            raise UserError(f"{path}: {name}.{key} is {value!r}, not one of {', '.join(allowed)}.{suggest(value, list(allowed))}")
    for key in ("lr", "batch_size", "grad_accum", "steps", "eval_interval"):
        for source, settings in (("training", entry.get("training", {})), ("synthetic", overrides)):
            if key in settings and not settings[key] > 0:
                raise UserError(f"{path}: {name}.{source}.{key} must be positive, got {settings[key]!r}")


def _check_synthetic_options(path: Path, name: str, options: dict, overrides: Any) -> None:
    """``synthetic.options`` may only change options the task has, and a mapping option only in its own keys."""
    if not isinstance(overrides, dict) or set(overrides) - set(options):
        raise UserError(f"{path}: {name}.synthetic.options must map some of the task's options "
                        f"({', '.join(sorted(options)) or 'none'}) to values")
    for key, value in overrides.items():
        if isinstance(options[key], dict) and not (isinstance(value, dict) and set(value) <= set(options[key])):
            raise UserError(f"{path}: {name}.synthetic.options.{key} must map some of options.{key}'s keys "
                            f"({', '.join(sorted(options[key]))}) to values")


def load_tasks(path: Path | None = None) -> dict[str, TaskSpec]:
    """Read and validate every task in ``path`` (default :func:`tasks_file`)."""
    import yaml

    path = path or tasks_file()
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise UserError(f"{path}: cannot read the task file ({err.strerror}); set SUPERB_TASKS to a tasks.yaml") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise UserError(f"{path}: YAML syntax error{where}: {problem}; fix the file") from None
    if not isinstance(data, dict) or not data:
        raise UserError(f"{path}: must map task names to their settings")
    for name, entry in data.items():
        _validate(path, str(name), entry)
    return {str(name): TaskSpec(str(name), entry) for name, entry in data.items()}


def get_task(name: str, path: Path | None = None) -> TaskSpec:
    tasks = load_tasks(path)
    if name not in tasks:
        raise UserError(f"unknown task {name!r}.{suggest(name, sorted(tasks))} Tasks: {', '.join(sorted(tasks))}")
    return tasks[name]
