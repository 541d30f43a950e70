"""The training loop shared by every trained task.

Optimizer steps over pre-drawn batches, dev evaluation every ``eval_interval``
steps (and at the end), the best-on-dev weights kept, and a checkpoint written
atomically after each evaluation so that a killed run resumes where it stopped and
ends with the same result as an uninterrupted one. Checkpoints hold only tensors
and plain values and load with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from benchmark.atomic import atomic_write
from benchmark.checkpoints import load_weights
from benchmark.errors import UserError
from benchmark.optim import build_optimizer


@dataclass(frozen=True)
class TrainSettings:
    """How to train (from tasks.yaml and the command line)."""

    optimizer: str
    lr: float
    batch_size: int
    grad_accum: int
    steps: int  # optimizer steps, after gradient accumulation
    eval_interval: int
    seed: int
    grad_clip: float = 0.0  # clip the gradient norm to this before each step (0: no clipping)

    @classmethod
    def from_config(cls, config: dict) -> "TrainSettings":
        """The settings of a run's resolved ``config`` (tasks.yaml ``training`` plus the command line)."""
        return cls(**{f: config[f] for f in ("optimizer", "lr", "batch_size", "grad_accum", "steps",
                                              "eval_interval", "seed", "grad_clip")})


@dataclass
class TrainOutcome:
    best_state: dict[str, Tensor]
    best_step: int
    best_dev: float
    history: list[dict] = field(default_factory=list)  # {"step", "train_loss", "dev"} per evaluation
    resumed_from: int = 0
    train_seconds: float = 0.0
    eval_seconds: float = 0.0


CONVERGED_TAIL = 0.25  # the last quarter of training
CONVERGED_GAIN = 0.01  # 1 point of a metric in [0, 1]


def converged(history: Sequence[dict], higher_is_better: bool) -> bool:
    """Whether a run trained to a plateau: its best dev evaluation comes before the last
    quarter of its steps, or the last quarter improves the best dev value before it by
    under 1 point (0.01). ``history`` is :attr:`TrainOutcome.history` (steps ascending).

    A run with no evaluation before its last quarter has not shown a plateau: ``False``.
    """
    if not history:
        return False
    cutoff = (1 - CONVERGED_TAIL) * history[-1]["step"]
    pick = max if higher_is_better else min
    early = [h["dev"] for h in history if h["step"] <= cutoff]
    if not early:
        return False
    gain = pick(h["dev"] for h in history) - pick(early)
    return abs(gain) < CONVERGED_GAIN


def save_checkpoint(state: dict, path: Path) -> None:
    """``torch.save`` atomically: never a half-written checkpoint."""
    atomic_write(path, lambda f: torch.save(state, f),
                 "free disk space, then rerun the same command to resume from the previous checkpoint")


def cuda_rng_state() -> dict:
    """``{"cuda_rng": [...]}`` on a machine with CUDA (a resumed GPU run draws the same numbers), else ``{}``."""
    return {"cuda_rng": torch.cuda.get_rng_state_all()} if torch.cuda.is_available() else {}


def train(model: nn.Module, loss_fn: Callable[[Tensor], Tensor], evaluate: Callable[[], float],
          batches: np.ndarray | Sequence[np.ndarray], settings: TrainSettings, higher_is_better: bool,
          checkpoint: Path, progress: bool = True) -> TrainOutcome:
    """Train ``model`` and keep its best-on-dev weights.

    Args:
        loss_fn: mean loss of the examples at the given indices.
        evaluate: the dev metric of the model as it is now.
        batches: ``(steps * grad_accum, batch_size)`` example indices, one row per
            forward pass (drawn once from the seed, so a resumed run sees the same);
            or a sequence of index arrays of varying size (length-bucketed batches).
        checkpoint: where to keep the resumable state.
    """
    optimizer = build_optimizer(settings.optimizer, model, settings.lr)
    outcome = TrainOutcome(best_state=copy.deepcopy(model.state_dict()), best_step=0,
                           best_dev=-math.inf if higher_is_better else math.inf)
    step = 0
    if checkpoint.exists():
        state = load_weights(checkpoint, "training checkpoint (delete it to restart this run)")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and torch.cuda.is_available():  # (saved with as many GPUs, or more)
            torch.cuda.set_rng_state_all(list(state["cuda_rng"])[:torch.cuda.device_count()])
        step = int(state["step"])
        outcome.best_state, outcome.best_step = state["best_state"], int(state["best_step"])
        outcome.best_dev, outcome.history = float(state["best_dev"]), list(state["history"])
        outcome.resumed_from = step
    model.train()
    losses: list[float] = []
    bar = tqdm(total=settings.steps, initial=step, desc="training", unit="step", disable=not progress)
    start = time.perf_counter()
    while step < settings.steps:
        optimizer.zero_grad()
        for micro in range(settings.grad_accum):
            loss = loss_fn(torch.from_numpy(batches[step * settings.grad_accum + micro]))
            (loss / settings.grad_accum).backward()
        value = loss.item()
        if not math.isfinite(value):
            raise UserError(f"training diverged at step {step + 1} (loss {value}); lower --lr "
                            f"(now {settings.lr:g})")
        if settings.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        losses.append(value)
        step += 1
        bar.update(1)
        if step % settings.eval_interval == 0 or step == settings.steps:
            eval_start = time.perf_counter()
            model.eval()
            with torch.no_grad():
                dev = float(evaluate())
            model.train()
            outcome.eval_seconds += time.perf_counter() - eval_start
            outcome.history.append({"step": step, "train_loss": float(np.mean(losses)), "dev": dev})
            losses = []
            if dev > outcome.best_dev if higher_is_better else dev < outcome.best_dev:
                outcome.best_dev, outcome.best_step = dev, step
                outcome.best_state = copy.deepcopy(model.state_dict())
            bar.set_postfix(dev=f"{dev:.4f}", best=f"{outcome.best_dev:.4f}")
            save_checkpoint({"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                               "torch_rng": torch.get_rng_state(), **cuda_rng_state(),
                               "best_state": outcome.best_state,
                               "best_step": outcome.best_step, "best_dev": outcome.best_dev,
                               "history": outcome.history}, checkpoint)
    bar.close()
    outcome.train_seconds = time.perf_counter() - start - outcome.eval_seconds
    model.eval()
    return outcome
