"""Contract checks of an upstream: what ``superb check-upstream`` reports and a run can require.

:func:`check_upstream` returns one :class:`CheckResult` per check, in this order
(the names are what reports and errors show):

=================== =====================================================================
declaration         ``downsample_rate``, ``num_layers``, ``hidden_size`` are positive
                    integers; ``config()`` is JSON; ``identity()`` works
layers              ``num_layers`` tensors, all ``(batch, frames, hidden_size)``, and
                    ``(batch,)`` integer lengths that fit the frames
finite              no NaN or Inf on noise, silence and a full-scale square wave
stride              valid frames within one of ``(n - 1) // downsample_rate + 1`` for
                    clips of 0.1 s to 20 s, each run alone
determinism         the same batch twice gives the same output
batch_independence  a clip's frames do not change when a longer clip shares its batch
                    (before or after it), beyond float rounding
frozen              the weights hash (``identity()``) is unchanged after extraction and a
                    short featurizer + head training run on the outputs; no gradient
                    reaches the upstream and it stays in eval mode
speed               seconds and peak resident memory per second of audio (information)
=================== =====================================================================

Audio is generated (seeded sines under an envelope, plus noise), so the checks need no
corpus. A check that cannot be judged because an earlier one failed is skipped.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from upstreams.base import SAMPLE_RATE, Upstream, UpstreamOutput, layers_problem, stride_problem

LENGTHS_S = (0.1, 0.37, 1.0, 2.0, 5.0, 20.0)
QUICK_LENGTHS_S = (0.1, 1.0, 2.5)
SPEED_SECONDS = 10.0
DETERMINISM_TOLERANCE = 1e-6  # max |difference| / largest |value| of the layer
BATCH_TOLERANCE = 1e-3  # the same, for a clip alone versus batched (masked attention rounds differently)


@dataclass
class CheckResult:
    """One check: ``status`` is ``"pass"``, ``"fail"``, ``"skip"`` or ``"info"``; ``detail`` says what was seen."""

    name: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "fail"


class CheckFailed(Exception):
    """Raised inside a check to fail it with a message."""


def probe_signal(seconds: float, seed: int) -> Tensor:
    """A speech-like test clip ``(samples,)`` at 16 kHz: a few sines under a slow envelope, plus noise, peak ~0.3."""
    generator = torch.Generator().manual_seed(seed)
    n = max(1, round(seconds * SAMPLE_RATE))
    t = torch.arange(n) / SAMPLE_RATE
    freqs = 100 + 900 * torch.rand(4, 1, generator=generator)
    tones = torch.sin(2 * math.pi * freqs * t + 6.28 * torch.rand(4, 1, generator=generator)).sum(0) / 4
    envelope = 0.5 + 0.5 * torch.sin(2 * math.pi * 3 * t)
    return 0.3 * envelope * tones + 0.01 * torch.randn(n, generator=generator)


def forward(upstream: Upstream, clips: list[Tensor]) -> UpstreamOutput:
    """Run ``upstream`` as the harness does: zero-padded batch, eval mode, ``torch.inference_mode()``.

    Clips shorter than the upstream's ``min_samples`` are zero-padded to it first. The
    batch goes to the upstream's device; the output comes back on the CPU.
    """
    from benchmark.devices import module_device

    min_samples = getattr(upstream, "min_samples", 1)
    clips = [torch.nn.functional.pad(c, (0, max(0, min_samples - len(c)))) for c in clips]
    lengths = torch.tensor([len(c) for c in clips])
    batch = torch.zeros(len(clips), int(lengths.max()))
    for i, clip in enumerate(clips):
        batch[i, :len(clip)] = clip
    upstream.eval()
    device = module_device(upstream)
    with torch.inference_mode():
        out = upstream(batch.to(device), lengths.to(device))
    if not hasattr(out, "layers") or not hasattr(out, "lengths"):
        raise CheckFailed(f"forward returned {type(out).__name__}, not an UpstreamOutput")
    if device.type != "cpu":
        on_cpu = [x.cpu() if isinstance(x, Tensor) else x for x in [*out.layers, out.lengths]]
        out = UpstreamOutput(on_cpu[:-1], on_cpu[-1])
    return out


def clip_frames(out: UpstreamOutput, index: int) -> list[Tensor]:
    """The valid frames of clip ``index`` in every layer, each ``(frames, dim)`` float32."""
    n = int(out.lengths[index])
    return [layer[index, :n].float() for layer in out.layers]


def relative_difference(a: list[Tensor], b: list[Tensor]) -> float:
    """Largest ``max |a - b| / max |a|`` over layers (``inf`` if the shapes differ)."""
    worst = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return math.inf
        scale = float(x.abs().max()) if x.numel() else 0.0
        worst = max(worst, float((x - y).abs().max()) / max(scale, 1e-12) if x.numel() else 0.0)
    return worst


def check_declaration(upstream: Upstream, quick: bool) -> str:
    problems = [f"{attr}={getattr(upstream, attr, None)!r}" for attr in ("downsample_rate", "num_layers", "hidden_size")
                if not isinstance(getattr(upstream, attr, None), int) or getattr(upstream, attr) < 1]
    if problems:
        raise CheckFailed(f"must be positive integers: {', '.join(problems)}")
    try:
        json.dumps(upstream.config(), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise CheckFailed(f"config() is not JSON-serialisable ({err})") from None
    upstream.identity()
    return (f"{upstream.num_layers} layers x {upstream.hidden_size} dims, stride {upstream.downsample_rate} "
            f"samples ({1000 * upstream.downsample_rate / SAMPLE_RATE:g} ms)")


def check_layers(upstream: Upstream, quick: bool) -> str:
    out = forward(upstream, [probe_signal(1.0, 1), probe_signal(2.5, 2)])
    if problem := layers_problem(upstream, out, 2):
        raise CheckFailed(problem)
    return f"{len(out.layers)} layers, each (batch, frames, {upstream.hidden_size})"


def check_finite(upstream: Upstream, quick: bool) -> str:
    n = SAMPLE_RATE
    square = torch.sign(torch.sin(2 * math.pi * 440 * torch.arange(n) / SAMPLE_RATE))
    inputs = {"noise": torch.randn(n, generator=torch.Generator().manual_seed(5)), "silence": torch.zeros(n),
              "full-scale square wave": square}
    bad = []
    for what, clip in inputs.items():
        out = forward(upstream, [clip])
        layers = [i for i, frames in enumerate(clip_frames(out, 0)) if not torch.isfinite(frames).all()]
        if layers:
            bad.append(f"{what} (layers {', '.join(map(str, layers))})")
    if bad:
        raise CheckFailed(f"NaN or Inf on {'; '.join(bad)}")
    return f"no NaN or Inf on {', '.join(inputs)}"


def check_stride(upstream: Upstream, quick: bool) -> str:
    seen, wrong = [], []
    for seconds in QUICK_LENGTHS_S if quick else LENGTHS_S:
        samples = torch.tensor([len(clip := probe_signal(seconds, 7))])
        lengths = forward(upstream, [clip]).lengths
        seen.append(f"{seconds:g} s {int(lengths[0])}/{int(upstream.expected_frames(samples)[0])}")
        if problem := stride_problem(upstream, lengths, samples):
            wrong.append(f"{seconds:g} s: {problem}")
    if wrong:
        raise CheckFailed(f"frame counts off by more than one: {'; '.join(wrong)}")
    return f"frames/expected at {', '.join(seen)}"


def check_determinism(upstream: Upstream, quick: bool) -> str:
    clips = [probe_signal(1.3, 8), probe_signal(0.6, 9)]
    first, second = forward(upstream, clips), forward(upstream, clips)
    if not torch.equal(first.lengths, second.lengths):
        raise CheckFailed(f"lengths changed between runs: {first.lengths.tolist()} vs {second.lengths.tolist()}")
    diff = max(relative_difference(clip_frames(first, i), clip_frames(second, i)) for i in range(len(clips)))
    if diff > DETERMINISM_TOLERANCE:
        raise CheckFailed(f"two runs on the same batch differ by {diff:.2g} (relative; tolerance "
                          f"{DETERMINISM_TOLERANCE:g}): dropout or randomness left on in eval mode?")
    return f"two runs differ by {diff:.2g} (relative)"


def check_batch_independence(upstream: Upstream, quick: bool) -> str:
    short, long = probe_signal(0.73, 3), probe_signal(2.9, 4)
    alone = clip_frames(forward(upstream, [short]), 0)
    diffs = {"alone vs before a longer clip": relative_difference(alone, clip_frames(forward(upstream, [short, long]), 0)),
             "alone vs after a longer clip": relative_difference(alone, clip_frames(forward(upstream, [long, short]), 1))}
    worst = max(diffs.values())
    if worst > BATCH_TOLERANCE:
        raise CheckFailed(f"a 0.73 s clip changes when batched with a 2.9 s clip: "
                          f"{'; '.join(f'{k} {v:.2g}' for k, v in diffs.items())} (relative; tolerance "
                          f"{BATCH_TOLERANCE:g}); mask or bucket padded frames")
    return f"0.73 s clip alone vs batched with a 2.9 s clip differs by {worst:.2g} (relative)"


def check_frozen(upstream: Upstream, quick: bool) -> str:
    from benchmark.featurizer import Featurizer
    from downstreams.mean_pool_linear import MeanPoolLinear

    before = upstream.identity()
    out = forward(upstream, [probe_signal(0.5 + 0.25 * i, 10 + i) for i in range(4)])
    frames = torch.stack([layer.float() for layer in out.layers], dim=2)  # (batch, frames, layers, dim)
    lengths = out.lengths.clone()
    featurizer = Featurizer(upstream.num_layers)
    head = MeanPoolLinear(upstream.hidden_size, 2, hidden=8)
    optimizer = torch.optim.Adam([*featurizer.parameters(), *head.parameters()], lr=1e-2)
    labels = torch.tensor([0, 1, 0, 1])
    steps = 5
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(featurizer(frames), lengths), labels)
        loss.backward()
        optimizer.step()
    problems = []
    if upstream.identity() != before:
        problems.append("its weights changed (a forward that updates parameters or buffers?)")
    touched = [name for name, p in upstream.named_parameters() if p.grad is not None]
    if touched:
        problems.append(f"gradients reached {', '.join(touched[:3])}")
    if upstream.training:
        problems.append("it left eval mode")
    if problems:
        raise CheckFailed("; ".join(problems))
    return f"weights hash unchanged after extraction and {steps} featurizer + head training steps"


def peak_rss_during(fn: Callable[[], object]) -> tuple[float, float | None]:
    """Seconds ``fn()`` takes and the peak growth of resident memory meanwhile (MB; ``None`` without /proc)."""
    statm = "/proc/self/statm"
    if not os.path.exists(statm):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start, None
    page = os.sysconf("SC_PAGE_SIZE")

    def rss() -> int:
        with open(statm) as f:
            return int(f.read().split()[1]) * page

    base = peak = rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        fn()
    finally:
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    return seconds, max(0, max(peak, rss()) - base) / 2**20


def check_speed(upstream: Upstream, quick: bool) -> str:
    clip = probe_signal(SPEED_SECONDS, 11)
    seconds, megabytes = peak_rss_during(lambda: forward(upstream, [clip]))
    memory = f" and {megabytes / SPEED_SECONDS:.1f} MB" if megabytes is not None else ""
    return (f"{seconds / SPEED_SECONDS:.4f} s{memory} per second of audio "
            f"({SPEED_SECONDS:g} s clip: {seconds:.2f} s" + (f", peak +{megabytes:.0f} MB)" if megabytes is not None
                                                             else ")"))


CHECKS: dict[str, Callable[[Upstream, bool], str]] = {
    "declaration": check_declaration,
    "layers": check_layers,
    "finite": check_finite,
    "stride": check_stride,
    "determinism": check_determinism,
    "batch_independence": check_batch_independence,
    "frozen": check_frozen,
    "speed": check_speed,
}
NEEDS = {"layers": ("declaration",), "finite": ("layers",), "stride": ("layers",),
         "determinism": ("layers", "finite"), "batch_independence": ("layers", "finite"),
         "frozen": ("layers", "finite"), "speed": ("layers",)}
"""Checks that cannot be judged when another has failed (or was skipped)."""
INFORMATION = ("speed",)


def check_upstream(upstream: Upstream, *, quick: bool = False, device=None,
                   extract_dtype: str = "fp32") -> list[CheckResult]:
    """Run every check on ``upstream``; ``quick`` uses three clip lengths for the stride and skips speed.

    The upstream runs on ``device`` (default: where it is) under ``extract_dtype``
    autocast, as ``superb run`` would extract with them. Never raises for a broken
    upstream: an exception inside a check fails that check.
    """
    from benchmark.devices import autocast_dtype, module_device

    if device is not None:
        upstream.to(device)
    dtype = autocast_dtype(extract_dtype)
    with torch.autocast(module_device(upstream).type, dtype=dtype, enabled=dtype is not None):
        return _run_checks(upstream, quick)


def _run_checks(upstream: Upstream, quick: bool) -> list[CheckResult]:
    results: dict[str, CheckResult] = {}
    for name, check in CHECKS.items():
        blocked = [need for need in NEEDS.get(name, ()) if results[need].status in ("fail", "skip")]
        if blocked:
            results[name] = CheckResult(name, "skip", f"needs {', '.join(blocked)}")
            continue
        if quick and name in INFORMATION:
            results[name] = CheckResult(name, "skip", "not measured in quick mode")
            continue
        try:
            detail = check(upstream, quick)
            results[name] = CheckResult(name, "info" if name in INFORMATION else "pass", detail)
        except CheckFailed as err:
            results[name] = CheckResult(name, "fail", str(err))
        except Exception as err:  # noqa: BLE001 - a crash inside the upstream fails the check
            reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
            results[name] = CheckResult(name, "fail", f"raised {type(err).__name__}: {reason}")
    return list(results.values())


def failed_checks(results: list[CheckResult]) -> list[str]:
    return [r.name for r in results if r.failed]


def format_report(label: str, results: list[CheckResult]) -> str:
    """A readable report: one line per check, then the verdict."""
    lines = [f"check-upstream {label}"]
    width = max(len(r.name) for r in results)
    lines += [f"  {r.status.upper():<4}  {r.name:<{width}}  {r.detail}" for r in results]
    failed = failed_checks(results)
    judged = sum(r.status == "pass" for r in results) + len(failed)
    lines.append(f"FAILED: {', '.join(failed)}" if failed else f"passed: all {judged} checks")
    return "\n".join(lines)
