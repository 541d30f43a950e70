"""One run: an upstream on a task, from corpus to result JSON.

1. resolve the corpus (``--data``, the task's environment variable, or the
   synthetic default, generated on first use) and load its splits;
2. hash the audio and take the features from the cache, extracting only what it lacks;
3. train the featurizer and head (pooled path when the head allows it, see below),
   keep the best dev checkpoint, score it on test;
4. write ``result.json``.

Pooled path: the SUPERB utterance-level heads are Linear -> mean pool -> Linear and
the featurizer is a weighted sum of layers. Both are linear, so mean pooling
commutes with them: training on each utterance's per-layer mean gives the same
logits, loss and gradients as training on its frames (up to float rounding), at a
fraction of the cost. It runs when the head declares ``pooled_equivalent`` and
layer norm is off; ``--no-pooled`` forces the frame path.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmark.devices import check_device_options
from benchmark.errors import UserError

@dataclass
class RunRequest:
    """Everything a user chooses for one run (the CLI's ``superb run`` options)."""

    upstream: str
    task: str
    data: Path | None = None
    steps: int | None = None
    lr: float | None = None
    seed: int = 0
    featurizer: str = "weighted_sum"
    layer_norm: bool = False
    pooled: bool = True
    out: Path = Path("results")
    cache_dir: Path | None = None
    cache_frames: bool = True
    strict_audio: bool = False
    force: bool = False
    progress: bool = True
    upstream_options: dict[str, Any] = field(default_factory=dict)
    device: str = "auto"  # auto | cpu | cuda | cuda:N (benchmark.devices)
    extract_batch_seconds: float | None = None  # padded audio per upstream batch (default: features.BATCH_SECONDS)
    extract_dtype: str = "fp32"  # fp32 | bf16 | fp16 (autocast; part of the cache key)
    stop_after: str | None = None  # "plan": find the result only; "extract": fill the feature cache only (the sweep)
    fold: int | None = None  # cross-validated tasks (ER): run this fold alone (1-based)


@dataclass
class RunOutput:
    result_path: Path
    result: dict[str, Any]
    reused: bool = False  # an identical finished run was found
    messages: list[str] = field(default_factory=list)


FEATURIZER_MODES = re.compile(r"weighted_sum|last|layer:\d+")
"""``--featurizer`` values (the layer range of ``layer:N`` is checked once the upstream is built)."""


def check_options(req: RunRequest) -> None:
    """Refuse bad options before anything is loaded (no torch import: a typo answers at once)."""
    from benchmark.tasks import get_task
    from upstreams import check_request

    check_request(req.upstream, req.upstream_options)
    if not FEATURIZER_MODES.fullmatch(req.featurizer):
        raise UserError(f"--featurizer {req.featurizer!r} is not one of weighted_sum, last, layer:N")
    check_device_options(req.device, req.extract_dtype, req.extract_batch_seconds)
    spec = get_task(req.task)  # last: validating tasks.yaml imports the metric registry (numpy)
    folds = spec.options.get("folds")
    if req.fold is not None and not (folds and 1 <= req.fold <= folds):
        raise UserError(f"--fold {req.fold}: task {spec.name} " + (f"has folds 1 to {folds}" if folds else
                                                                   "has no folds; drop --fold"))
    if req.steps is not None and req.steps < 1:
        raise UserError(f"--steps {req.steps}: must be at least 1")
    if req.lr is not None and not (math.isfinite(req.lr) and req.lr > 0):
        raise UserError(f"--lr {req.lr}: must be a positive finite number (SUPERB searches 1e-1 .. 1e-7)")


def uses_pooled_path(head_cls, req: RunRequest) -> bool:
    """Whether ``req`` trains ``head_cls`` on per-utterance means (see the module docstring)."""
    return bool(req.pooled and getattr(head_cls, "pooled_equivalent", False) and not req.layer_norm)


def locate_corpus(spec, data: Path | None) -> tuple[Path, bool]:
    """The corpus root, generating nothing, and whether it is the default synthetic one (to generate)."""
    from benchmark.corpora import CORPUS_FORMATS

    env = spec.corpus.get("env")
    if data is None and env and os.environ.get(env):
        data = Path(os.environ[env])
    if data is not None:
        return Path(data).expanduser(), False
    if spec.corpus["default"] != "synthetic":
        raise UserError(f"task {spec.name}: no corpus given; pass --data PATH or set {env}")
    return Path(CORPUS_FORMATS[spec.corpus["format"]].synthetic_root()), True


def resolve_corpus(spec, data: Path | None, progress: bool) -> tuple[Path, bool]:
    """The corpus root (a default synthetic one generated now) and whether it is synthetic."""
    from benchmark.corpora import CORPUS_FORMATS

    root, default = locate_corpus(spec, data)
    if default:
        root = Path(CORPUS_FORMATS[spec.corpus["format"]].generate(progress=progress))
    return root, (root / "README.synthetic.txt").exists()


def _lock(path: Path):
    """Exclusive lock on ``path`` (a second identical run waits, then finds the result)."""
    handle = open(path, "a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return contextlib.closing(handle)


def corpus_hash(splits, keys) -> str:
    digest = hashlib.blake2b(digest_size=10)
    for split in sorted(splits):
        for utt, key in zip(splits[split], keys[split]):
            digest.update(f"{split}\t{utt.uid}\t{key}\t{utt.label}\n".encode())
    for split, trials in sorted(getattr(splits, "trials", {}).items()):
        digest.update(f"{split}\t{[(t.enrol, t.test, t.target) for t in trials]}\n".encode())
    return digest.hexdigest()


def run(req: RunRequest) -> RunOutput:
    """Run ``req`` (or find its finished result) and return where the result is."""
    check_options(req)
    from benchmark.tasks import get_task

    spec = get_task(req.task)
    if spec.head is None and (req.steps is not None or req.lr is not None or req.layer_norm):
        raise UserError(f"task {spec.name} trains nothing (no head in tasks.yaml); drop --steps, --lr "
                        f"and --layer-norm")
    from benchmark.devices import describe_device, resolve_device, seed_everything
    from benchmark.problems import PROBLEMS, RunContext
    from upstreams import build_upstream

    device = resolve_device(req.device)
    score = PROBLEMS.load(spec.problem)
    upstream = build_upstream(req.upstream, **req.upstream_options)
    import torch

    from benchmark.cache import FeatureCache, FileHashes, default_cache_dir
    from benchmark.corpora import CORPUS_FORMATS
    from benchmark.featurizer import parse_mode
    from benchmark.features import BATCH_SECONDS, ExtractionSettings, ExtractionStats, hash_utterances, load_features
    from benchmark.threads import torch_threads
    from benchmark.results import provenance, read_result, run_id, slug, write_json_atomic
    from downstreams import HEADS

    parse_mode(req.featurizer, upstream.num_layers)
    head_cls = HEADS.load(spec.head) if spec.head else None
    pooled_path = uses_pooled_path(head_cls, req)

    root, synthetic = resolve_corpus(spec, req.data, req.progress)
    splits = CORPUS_FORMATS[spec.corpus["format"]].load(root, seed=0)
    if spec.gain_db:  # in place: a loader's splits may carry more (verification trials)
        for utts in splits.values():
            utts[:] = [replace(u, gain_db=spec.gain_db) for u in utts]
    cache_root = req.cache_dir or default_cache_dir()
    file_hashes = FileHashes(cache_root)
    keys = {split: hash_utterances(utts, req.progress, file_hashes) for split, utts in splits.items()}
    file_hashes.save()
    training = spec.training(synthetic)
    if req.steps is not None:
        training["steps"] = req.steps
        training["eval_interval"] = min(training["eval_interval"], req.steps)
    if req.lr is not None:
        training["lr"] = req.lr
    config = {**training, "seed": req.seed, "featurizer": req.featurizer, "layer_norm": req.layer_norm,
              "head": spec.head, "head_args": spec.head_arguments(synthetic), "sampler": spec.sampler,
              "upstream_options": req.upstream_options, "options": spec.options_for(synthetic),
              "path": "pooled" if pooled_path else "frames", "strict_audio": req.strict_audio,
              **({"fold": req.fold} if req.fold is not None else {})}
    corpus = {"name": spec.corpus["format"], "synthetic": synthetic, "content_hash": corpus_hash(splits, keys),
              "root": str(root), "sizes": {split: len(utts) for split, utts in splits.items()},
              "gain_db": spec.gain_db}
    identity = upstream.identity() + ("" if req.extract_dtype == "fp32" else f"-{req.extract_dtype}")  # autocast
    rid = run_id({"upstream": identity, "task": spec.name, "version": spec.version,
                  "corpus": corpus["content_hash"], "config": config})
    display = upstream.display_name()
    run_dir = Path(req.out) / slug(display) / spec.name / rid
    result_path = run_dir / "result.json"
    if req.stop_after == "plan":  # where this run's result is, and whether it is there
        return RunOutput(result_path, read_result(result_path) or {}, reused=read_result(result_path) is not None)
    extraction = ExtractionSettings(device, req.extract_batch_seconds or BATCH_SECONDS, req.extract_dtype)
    upstream.to(device)
    if req.stop_after == "extract":  # every feature this run will read, in the cache; nothing trained
        load_features(upstream, FeatureCache(cache_root, identity), splits, keys, need_frames=False,
                      cache_frames=req.cache_frames, strict_audio=req.strict_audio, progress=req.progress,
                      settings=extraction)
        return RunOutput(result_path, {})
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"{run_dir}: cannot create the run directory ({err.strerror}); choose another --out") from None
    with _lock(run_dir / ".lock"):
        if not req.force and (done := read_result(result_path)) is not None:
            return RunOutput(result_path, done, reused=True)
        if req.force:
            for path in run_dir.glob("checkpoint*.pt"):  # checkpoint.pt, or one per fold (checkpoint-fold<k>.pt)
                path.unlink()

        seed_everything(req.seed)
        cache = FeatureCache(cache_root, identity)
        stats = ExtractionStats()
        features = load_features(upstream, cache, splits, keys, need_frames=not pooled_path,
                                 cache_frames=req.cache_frames, strict_audio=req.strict_audio,
                                 progress=req.progress, stats=stats, settings=extraction)
        context = RunContext(spec, splits, features, upstream, head_cls, config, run_dir / "checkpoint.pt",
                             req.progress, device, corpus_root=root)
        with torch_threads(1 if pooled_path else torch.get_num_threads()):
            scored = score(context)
        from benchmark.cache import directory_size
        from benchmark.training import converged

        outcome = scored.outcome
        result = {
            "schema_version": 1, "run_id": rid, "upstream": display, "upstream_id": identity,
            "upstream_info": {"num_layers": upstream.num_layers, "hidden_size": upstream.hidden_size,
                              "downsample_rate": upstream.downsample_rate, "config": upstream.config(),
                              "origin": upstream.origin},
            "task": spec.name, "task_version": spec.version,
            "metrics": scored.metrics,
            "main_metric": {"name": spec.metric, "higher_is_better": spec.higher_is_better},
            "layer_weights": scored.layer_weights,
            "config": config, "corpus": corpus,
            "timing": {"extraction_s": round(stats.seconds, 3),
                       "training_s": round(outcome.train_seconds if outcome else 0.0, 3),
                       "evaluation_s": round((outcome.eval_seconds if outcome else 0.0) + scored.test_seconds, 3)},
            "training": {"best_step": outcome.best_step, "resumed_from_step": outcome.resumed_from,
                         "history": outcome.history} if outcome else None,
            "converged": converged(outcome.history, spec.higher_is_better) if outcome else None,
            **scored.extra,
            "cache": {"dir": str(cache.dir), "size_bytes": directory_size(cache.dir),
                      "extracted_utterances": stats.utterances, "frames_cached": req.cache_frames,
                      "warnings": cache.warnings},
            "audio": stats.audio.as_dict(),
            "device": {**describe_device(device), "extract_dtype": req.extract_dtype,
                       "extract_batch_seconds": extraction.batch_seconds},
            "departures": list(spec.raw.get("departures", [])) + list(getattr(upstream, "departures", [])) + (
                ["synthetic corpus (eSpeak NG voices), not the real one; settings changed for it: "
                 + json.dumps(spec.raw.get("synthetic", {}), sort_keys=True)]
                if synthetic else []),
            "provenance": provenance(),
        }
        write_json_atomic(result, result_path)
    return RunOutput(result_path, result, messages=cache.warnings)
