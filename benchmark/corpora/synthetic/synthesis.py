"""What every synthetic corpus shares: eSpeak speakers, noise, audio helpers, safe generation.

- :class:`Speaker` and :func:`make_speakers`: fixed eSpeak NG settings (accent,
  variant, pitch, pitch range, rate) with a speaker-disjoint split.
- :func:`noise`, :func:`resample`, :func:`trim`, :func:`to_pcm16`, :func:`write_wav`.
- :func:`render_plan`: eSpeak's output depends on what the process synthesised
  before (see :mod:`.espeak`), so a generator's planned items are rendered in fixed
  shards, each in a fresh spawned process; the bytes then depend neither on the
  number of workers nor on scheduling.
- :func:`ensure_generated`: generation into a hidden sibling directory, renamed into
  place with a ``.complete`` marker, so an interrupted run never looks finished;
  :func:`ensure_corpus` is the body of every ``ensure_synthetic_<corpus>`` around it.

Corpora: every other module of this package.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import wave
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.corpora.synthetic import espeak
from benchmark.errors import CorpusError

SAMPLE_RATE = 16000
MARKER = ".complete"
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt3", "klatt4", "klatt6", "Alicia", "Andy", "Annie", "Lee", "adam",
    "aunty", "belinda", "benjamin", "caleb", "david", "edward", "grandma", "grandpa",
    "ian", "linda", "max", "michel", "norbert", "quincy", "rob", "robert", "travis",
    "victor", "zac",
)
"""eSpeak NG variants that sound like people (robotic, whispering and clipping ones left out)."""


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: fixed eSpeak settings and the split it belongs to."""

    id: str  # 8 hex digits
    voice: str  # "<accent>+<variant>"
    pitch: int  # eSpeak base pitch 0-100
    pitch_range: int  # eSpeak pitch range 0-100
    rate: int  # words per minute
    split: str  # "train", "valid" or "test"


def default_data_dir() -> Path:
    """``$SUPERB_DATA_DIR``, or ``~/.cache/superb/data``."""
    return Path(os.environ.get("SUPERB_DATA_DIR") or Path.home() / ".cache" / "superb" / "data")


def make_speakers(num_speakers: int, seed: int, stream: int = 1) -> list[Speaker]:
    """``num_speakers`` distinct speakers; 1/6 validation, 1/6 test, the rest train.

    ``stream`` separates corpora: the same ``seed`` with another stream gives other speakers.
    """
    rng = np.random.default_rng([seed, stream])
    combos = list(product(espeak.ENGLISH_VOICES, VARIANTS))
    order = rng.permutation(len(combos))
    num_held_out = max(1, round(num_speakers / 6))
    split_of = ["valid"] * num_held_out + ["test"] * num_held_out
    split_of += ["train"] * (num_speakers - len(split_of))
    split_of = [split_of[i] for i in rng.permutation(num_speakers)]
    ids: set[str] = set()
    speakers = []
    for i in range(num_speakers):
        speaker_id = f"{int(rng.integers(2**32)):08x}"
        while speaker_id in ids:
            speaker_id = f"{int(rng.integers(2**32)):08x}"
        ids.add(speaker_id)
        accent, variant = combos[order[i % len(combos)]]
        speakers.append(
            Speaker(
                id=speaker_id,
                voice=f"{accent}+{variant}",
                pitch=int(rng.integers(20, 81)),
                pitch_range=int(rng.integers(30, 81)),
                rate=int(rng.integers(140, 221)),
                split=split_of[i],
            )
        )
    return speakers


def speaker_table(speakers: list[Speaker]) -> str:
    """One README line per speaker: id, split, voice, pitch, pitch range, rate."""
    return "\n".join(
        f"  {s.id}  {s.split:5s}  {s.voice:22s}  pitch {s.pitch:2d}  range {s.pitch_range:2d}  rate {s.rate}"
        for s in sorted(speakers, key=lambda s: s.id)
    )


def noise(kind: str, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Noise of one kind, float64 of shape ``(num_samples,)``, RMS 1.

    white; pink (1/f power) and brown (1/f^2) above 20 Hz; mains hum (50 or 60 Hz
    harmonics plus a little hiss); rumble (100-800 Hz band, slowly pulsing);
    hiss (2-6 kHz band).
    """
    white = rng.standard_normal(num_samples)
    freqs = np.fft.rfftfreq(num_samples, 1 / SAMPLE_RATE)
    if kind == "white":
        x = white
    elif kind in ("pink", "brown", "rumble", "hiss"):
        if kind == "pink":
            gain = 1 / np.sqrt(np.maximum(freqs, 20.0))
        elif kind == "brown":
            gain = 1 / np.maximum(freqs, 20.0)
        elif kind == "rumble":
            gain = ((freqs >= 100) & (freqs <= 800)).astype(float)
        else:
            gain = ((freqs >= 2000) & (freqs <= 6000)).astype(float)
        gain[0] = 0.0
        x = np.fft.irfft(np.fft.rfft(white) * gain, num_samples)
        if kind == "rumble":
            t = np.arange(num_samples) / SAMPLE_RATE
            x *= 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 2 * np.pi))
    elif kind == "hum":
        t = np.arange(num_samples) / SAMPLE_RATE
        f0 = rng.choice([50.0, 60.0]) * rng.uniform(0.99, 1.01)
        x = sum(
            np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi)) / h for h in range(1, 8)
        ) + 0.05 * white
    else:
        raise ValueError(f"unknown noise kind {kind!r}")
    return x / np.sqrt(np.mean(x**2))


def resample(audio: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Band-limited resampling by FFT (for short clips); returns ``(round(n * new_rate / rate),)``.

    The clip is zero-padded before the transform so that its ends do not wrap around.
    """
    pad = 512
    x = np.pad(audio.astype(np.float64), pad)
    n_out = round(len(x) * new_rate / rate)
    spectrum = np.fft.rfft(x)[: n_out // 2 + 1]
    y = np.fft.irfft(spectrum, n_out) * (n_out / len(x))
    pad_out = round(pad * new_rate / rate)
    return y[pad_out : n_out - pad_out]


def speak(text: str, speaker: Speaker, rng: np.random.Generator, seed: int) -> np.ndarray:
    """``text`` spoken by ``speaker`` at 16 kHz, float64, silence-trimmed.

    Pitch is jittered by up to 5 and rate by up to 8 % per call (drawn from ``rng``);
    ``seed`` seeds eSpeak's noise generator.
    """
    audio, rate = espeak.synthesize(
        text,
        speaker.voice,
        pitch=int(np.clip(speaker.pitch + rng.integers(-5, 6), 0, 100)),
        pitch_range=speaker.pitch_range,
        rate=int(speaker.rate * rng.uniform(0.92, 1.08)),
        volume=50,
        seed=seed,
    )
    return trim(resample(audio, rate, SAMPLE_RATE))


def trim(audio: np.ndarray, margin: int = 320) -> np.ndarray:
    """Drop leading/trailing samples below 2 % of the peak, keeping ``margin`` samples."""
    loud = np.flatnonzero(np.abs(audio) > 0.02 * np.max(np.abs(audio)))
    return audio[max(0, loud[0] - margin) : loud[-1] + 1 + margin]


def to_pcm16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")


def write_wav(path: Path, pcm: np.ndarray) -> None:
    """16-bit mono WAV at 16 kHz."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        f.writeframes(pcm.tobytes())


def render_plan(write_item: Callable[[Path, Any, int], None], out: Path, items: list, seed: int, *,
                shard_size: int, workers: int | None, progress: bool, desc: str, unit: str) -> None:
    """Write every planned item with ``write_item(out, item, seed)``, in shards, each in a fresh spawned process.

    ``items`` is cut in order into shards of ``shard_size``; a shard's items are written
    in order by a new process, so eSpeak's state (see :mod:`.espeak`) and hence the bytes
    depend neither on ``workers`` (``None``: :func:`default_workers`) nor on scheduling.
    ``write_item`` must be a module-level function (it is sent to the process by name).
    ``progress`` shows a bar of ``desc`` counting items in ``unit``.
    """
    from tqdm import tqdm

    shards = [items[i:i + shard_size] for i in range(0, len(items), shard_size)]
    context = multiprocessing.get_context("spawn")
    with (
        tqdm(total=len(items), disable=not progress, desc=desc, unit=unit) as bar,
        ProcessPoolExecutor(workers or default_workers(), mp_context=context, max_tasks_per_child=1) as pool,
    ):
        futures = [pool.submit(_write_shard, write_item, out, shard, seed) for shard in shards]
        for future in as_completed(futures):
            bar.update(future.result())


def _write_shard(write_item: Callable[[Path, Any, int], None], out: Path, items: list, seed: int) -> int:
    """One shard of :func:`render_plan`, in its own process; returns how many items it wrote."""
    for item in items:
        write_item(out, item, seed)
    return len(items)


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)


def _describe(params: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in params.items())


def _remove_stale_partials(root: Path) -> None:
    """Delete leftovers of killed generations (their process no longer exists)."""
    for partial in root.parent.glob(f".{root.name}.partial-*"):
        try:
            os.kill(int(partial.name.rsplit("-", 1)[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(partial, ignore_errors=True)
        except (ValueError, PermissionError):
            pass


def ensure_generated(root: Path, marker: dict, generate: Callable[[Path], None],
                     validate: Callable[[], object] = lambda: None) -> Path:
    """Return ``root``, generating it first with ``generate(directory)`` unless it is complete.

    An existing ``root`` is used as is if its ``.complete`` marker equals ``marker``
    (the generator's parameters); any other non-empty ``root`` raises
    :class:`CorpusError`. ``validate()`` checks the parameters before any work.
    Generation writes a hidden sibling directory and renames it to ``root`` when
    complete; leftovers of killed generations are removed.
    """
    if (root / MARKER).is_file():
        made = json.loads((root / MARKER).read_text())
        if made != marker:
            raise CorpusError(
                f"{root} holds a synthetic corpus made with {_describe(made)}, not "
                f"{_describe(marker)}; delete it or choose another directory"
            )
        return root
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise CorpusError(
            f"{root} exists but is not a complete synthetic corpus (no {MARKER} marker); "
            "delete it or choose another directory"
        )
    validate()
    root.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(root)
    partial = root.parent / f".{root.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        generate(partial)
        (partial / MARKER).write_text(json.dumps(marker) + "\n")
        try:
            os.rename(partial, root)
        except OSError:
            if not (root / MARKER).is_file():  # not a concurrent generation that won
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return root


def ensure_corpus(root: Path | str | None, default: Path, version: int, params: dict,
                  plan: Callable[..., Any], generate: Callable[[Path, Any, dict, bool, int | None], None], *,
                  progress: bool, workers: int | None) -> Path:
    """The body of every ``ensure_synthetic_<corpus>``: the corpus of ``params`` at ``root``, generated once.

    ``root=None`` means ``default`` (the module's ``default_root``). ``plan(**params)``
    checks the parameters (raising :class:`~benchmark.errors.UserError`) before any work
    and returns the items to render; ``generate(out, items, params, progress, workers)``
    writes the corpus into the new directory ``out``. The ``.complete`` marker is
    ``{"generator_version": version, **params}`` (see :func:`ensure_generated`).
    """
    root = Path(root) if root is not None else default
    return ensure_generated(root, {"generator_version": version, **params},
                            lambda out: generate(out, plan(**params), params, progress, workers),
                            validate=lambda: plan(**params))
