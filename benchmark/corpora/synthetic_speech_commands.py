"""Generate a synthetic corpus in the real Speech Commands v0.01 layout.

Words are spoken by eSpeak NG (:mod:`.espeak`) with many synthetic speakers, each a
fixed combination of English accent, voice variant, pitch, pitch range and rate.
Every clip is 1 s (16000 samples at 16 kHz, mono, 16-bit PCM) with the word at a
random offset, a random level, and additive noise at a random SNR. The tree::

    <root>/yes/<speaker>_nohash_<n>.wav, no/..., bed/..., ...   one folder per word
    <root>/_background_noise_/*.wav                             ~20 s noises
    <root>/validation_list.txt, testing_list.txt                 "word/file.wav" lines
    <root>/README.synthetic.txt                                  how it was made

Splits are speaker-disjoint (about 2/3 of the speakers train, 1/6 validation,
1/6 test). Output is byte-identical for the same ``num_clips`` and ``seed``.

Run ``python -m benchmark.corpora.synthetic_speech_commands --out DIR`` or call
:func:`ensure_synthetic_speech_commands`.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import wave
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import count, product
from pathlib import Path

import numpy as np

from benchmark.corpora import espeak
from benchmark.errors import CorpusError, UserError

COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
OTHER_WORDS = ("bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow")
WORDS = COMMANDS + OTHER_WORDS

SAMPLE_RATE = 16000
CLIP_SAMPLES = 16000  # 1 s
BACKGROUND_SECONDS = 20
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt3", "klatt4", "klatt6", "Alicia", "Andy", "Annie", "Lee", "adam",
    "aunty", "belinda", "benjamin", "caleb", "david", "edward", "grandma", "grandpa",
    "ian", "linda", "max", "michel", "norbert", "quincy", "rob", "robert", "travis",
    "victor", "zac",
)
"""eSpeak NG variants that sound like people (robotic, whispering and clipping ones left out)."""

MIN_SPEAKERS = 24
CLIPS_PER_SPEAKER = 60  # more clips -> more speakers, about 3 takes of each word each
SHARD_CLIPS = 250  # clips synthesised per fresh worker process (see _render_shard)
GENERATOR_VERSION = 1
MARKER = ".complete"

BACKGROUNDS = {  # file name -> (noise kind, RMS level)
    "white_noise.wav": ("white", 0.05),
    "pink_noise.wav": ("pink", 0.08),
    "brown_noise.wav": ("brown", 0.1),
    "mains_hum.wav": ("hum", 0.05),
    "rumble.wav": ("rumble", 0.1),
    "hiss.wav": ("hiss", 0.04),
}
NOISE_KINDS = tuple(kind for kind, _ in BACKGROUNDS.values())


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: fixed eSpeak settings and the split it belongs to."""

    id: str  # 8 hex digits, as in the real corpus
    voice: str  # "<accent>+<variant>"
    pitch: int  # eSpeak base pitch 0-100
    pitch_range: int  # eSpeak pitch range 0-100
    rate: int  # words per minute
    split: str  # "train", "valid" or "test"


@dataclass(frozen=True)
class Clip:
    """One take of a word by a speaker; ``index`` seeds its randomness."""

    index: int
    word: str
    speaker: Speaker
    take: int

    @property
    def relpath(self) -> str:
        """``"<word>/<speaker>_nohash_<take>.wav"``, as in the real corpus lists."""
        return f"{self.word}/{self.speaker.id}_nohash_{self.take}.wav"


def default_data_dir() -> Path:
    """``$SUPERB_DATA_DIR``, or ``~/.cache/superb/data``."""
    return Path(os.environ.get("SUPERB_DATA_DIR") or Path.home() / ".cache" / "superb" / "data")


def default_root(num_clips: int, seed: int) -> Path:
    """Cache directory of the corpus for ``num_clips`` and ``seed``."""
    return default_data_dir() / "synthetic" / f"speech_commands_v0.01-{num_clips}-s{seed}"


def make_speakers(num_speakers: int, seed: int) -> list[Speaker]:
    """``num_speakers`` distinct speakers; 1/6 validation, 1/6 test, the rest train."""
    rng = np.random.default_rng([seed, 1])
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


def plan_clips(num_clips: int, seed: int) -> list[Clip]:
    """The clips to render, in a fixed order.

    Each round gives every speaker its next word of a rotation that alternates
    commands and other words; within a split, speakers start the rotation at evenly
    spaced points. So even a small corpus has a similar word mix in every split.
    """
    if num_clips < MIN_SPEAKERS:
        raise UserError(f"num_clips must be at least {MIN_SPEAKERS} (one per speaker), got {num_clips}")
    speakers = make_speakers(max(MIN_SPEAKERS, math.ceil(num_clips / CLIPS_PER_SPEAKER)), seed)
    rotation = [w for pair in zip(COMMANDS, OTHER_WORDS) for w in pair]
    start = {}
    for split in ("train", "valid", "test"):
        members = [s for s in speakers if s.split == split]
        for rank, speaker in enumerate(members):
            start[speaker] = rank * len(rotation) // len(members)
    clips: list[Clip] = []
    for take in count():
        for step in range(len(rotation)):
            for speaker in speakers:
                if len(clips) == num_clips:
                    return clips
                word = rotation[(start[speaker] + step) % len(rotation)]
                clips.append(Clip(len(clips), word, speaker, take))
    raise AssertionError("unreachable")


def noise(kind: str, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Noise of one of :data:`NOISE_KINDS`, float64 of shape ``(num_samples,)``, RMS 1.

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


def render_clip(clip: Clip, seed: int) -> np.ndarray:
    """The 1 s clip as int16 of shape ``(CLIP_SAMPLES,)`` at 16 kHz.

    The speaker's settings are jittered slightly per take; the word is trimmed of
    silence, scaled to a peak of -18..-3 dBFS, placed at a random offset and mixed
    with noise at 5..35 dB SNR (relative to the word's RMS); the rare mix that would
    clip is scaled down.
    """
    rng = np.random.default_rng([seed, 2, clip.index])
    sp = clip.speaker
    audio, rate = espeak.synthesize(
        clip.word,
        sp.voice,
        pitch=int(np.clip(sp.pitch + rng.integers(-5, 6), 0, 100)),
        pitch_range=sp.pitch_range,
        rate=int(sp.rate * rng.uniform(0.92, 1.08)),
        volume=50,
        seed=clip.index,
    )
    word = _trim(resample(audio, rate, SAMPLE_RATE))[:CLIP_SAMPLES]
    word = word * np.minimum(1.0, np.arange(len(word))[::-1] / 160)  # 10 ms fade-out: may be cut at 1 s
    word *= 10 ** (rng.uniform(-18, -3) / 20) / np.max(np.abs(word))
    offset = int(rng.integers(0, CLIP_SAMPLES - len(word) + 1))
    out = np.zeros(CLIP_SAMPLES)
    out[offset : offset + len(word)] = word
    snr_db = rng.uniform(5, 35)
    word_rms = np.sqrt(np.mean(word**2))
    out += noise(str(rng.choice(NOISE_KINDS)), CLIP_SAMPLES, rng) * word_rms * 10 ** (-snr_db / 20)
    return _to_pcm16(out / max(1.0, np.max(np.abs(out)) / 0.99))  # no clipping


def _trim(audio: np.ndarray, margin: int = 320) -> np.ndarray:
    """Drop leading/trailing samples below 2 % of the peak, keeping ``margin`` samples."""
    loud = np.flatnonzero(np.abs(audio) > 0.02 * np.max(np.abs(audio)))
    return audio[max(0, loud[0] - margin) : loud[-1] + 1 + margin]


def _to_pcm16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")


def _write_wav(path: Path, pcm: np.ndarray) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        f.writeframes(pcm.tobytes())


def _render_shard(out_dir: str, clips: list[Clip], seed: int) -> int:
    """Render and write ``clips`` in order; returns how many.

    Runs in a fresh process per shard: eSpeak's output depends on what the process
    synthesised before (see :mod:`.espeak`), so fixed shards in fresh processes make
    the bytes independent of the number of workers and of scheduling.
    """
    for clip in clips:
        _write_wav(Path(out_dir) / clip.relpath, render_clip(clip, seed))
    return len(clips)


def _write_backgrounds(noise_dir: Path, seed: int) -> None:
    noise_dir.mkdir()
    for i, (name, (kind, level)) in enumerate(BACKGROUNDS.items()):
        rng = np.random.default_rng([seed, 3, i])
        _write_wav(noise_dir / name, _to_pcm16(level * noise(kind, BACKGROUND_SECONDS * SAMPLE_RATE, rng)))


def _write_text_files(root: Path, clips: list[Clip], num_clips: int, seed: int) -> None:
    for split, list_name in (("valid", "validation_list.txt"), ("test", "testing_list.txt")):
        lines = sorted(c.relpath for c in clips if c.speaker.split == split)
        (root / list_name).write_text("".join(f"{line}\n" for line in lines))
    speakers = sorted({c.speaker for c in clips}, key=lambda s: s.id)
    table = "\n".join(
        f"  {s.id}  {s.split:5s}  {s.voice:22s}  pitch {s.pitch:2d}  range {s.pitch_range:2d}  rate {s.rate}"
        for s in speakers
    )
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for Speech Commands v0.01.

Made by benchmark.corpora.synthetic_speech_commands (generator version
{GENERATOR_VERSION}) with num_clips={num_clips}, seed={seed}. Same layout as the real
corpus (one folder per word, <speaker>_nohash_<n>.wav, validation_list.txt,
testing_list.txt, _background_noise_/), so the same loader reads both.

Words: {' '.join(WORDS)}.
Each clip: the word spoken by eSpeak NG (espeakng-loader package), resampled from
22050 to 16000 Hz, silence-trimmed, peak -18..-3 dBFS, at a random offset in 1 s,
plus noise (white, pink, brown, hum, rumble or hiss) at 5..35 dB SNR. 16-bit mono.
Speakers are eSpeak accent+variant with their own pitch, pitch range and rate
(jittered slightly per take); splits are speaker-disjoint.
_background_noise_/: {BACKGROUND_SECONDS} s numpy-synthesised noises.

No recorded speech is included; the tools used are eSpeak NG (GPL-3.0-or-later) and numpy.

Speakers (id, split, voice, eSpeak pitch, pitch range, rate in words/min):
{table}
"""
    )


def _generate(out: Path, num_clips: int, seed: int, progress: bool, workers: int) -> None:
    """Write the whole corpus into the (new, empty) directory ``out``."""
    from tqdm import tqdm

    clips = plan_clips(num_clips, seed)
    for word in WORDS:
        (out / word).mkdir()
    _write_backgrounds(out / "_background_noise_", seed)
    _write_text_files(out, clips, num_clips, seed)
    shards = [clips[i : i + SHARD_CLIPS] for i in range(0, len(clips), SHARD_CLIPS)]
    context = multiprocessing.get_context("spawn")
    with (
        tqdm(total=num_clips, disable=not progress, desc="synthesising speech commands", unit="clip") as bar,
        ProcessPoolExecutor(workers, mp_context=context, max_tasks_per_child=1) as pool,
    ):
        futures = [pool.submit(_render_shard, str(out), shard, seed) for shard in shards]
        for future in as_completed(futures):
            bar.update(future.result())


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


def ensure_synthetic_speech_commands(
    root: Path | None = None,
    *,
    num_clips: int = 3000,
    seed: int = 0,
    progress: bool = True,
    workers: int | None = None,
) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where the corpus lives; default :func:`default_root` (under
            ``$SUPERB_DATA_DIR``, default ``~/.cache/superb/data``).
        num_clips: number of word clips (at least 24); about 2/3 are train.
        seed: selects speakers, takes, offsets, noise; same seed, same bytes.
        progress: show a tqdm progress bar.
        workers: worker processes (default: min(2, CPU count)).

    Generation writes to a hidden sibling directory and renames it to ``root``
    when complete (with a ``.complete`` marker holding the parameters), so an
    interrupted run never looks finished. An existing ``root`` is used as is if its
    marker matches; any other non-empty ``root`` raises :class:`CorpusError`.
    """
    root = Path(root) if root is not None else default_root(num_clips, seed)
    marker = {"generator_version": GENERATOR_VERSION, "num_clips": num_clips, "seed": seed}
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
    plan_clips(num_clips, seed)  # validate arguments before any work
    root.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(root)
    partial = root.parent / f".{root.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        _generate(partial, num_clips, seed, progress, workers or min(2, os.cpu_count() or 1))
        (partial / MARKER).write_text(json.dumps(marker) + "\n")
        try:
            os.rename(partial, root)
        except OSError:
            if not (root / MARKER).is_file():  # not a concurrent generation that won
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmark.corpora.synthetic_speech_commands",
        description="Generate a synthetic corpus in the Speech Commands v0.01 layout.",
    )
    parser.add_argument("--out", type=Path, help="output directory (default: the cache directory)")
    parser.add_argument("--num-clips", type=int, default=3000, help="number of word clips (default 3000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default min(2, CPUs))")
    args = parser.parse_args(argv)
    try:
        root = ensure_synthetic_speech_commands(
            args.out, num_clips=args.num_clips, seed=args.seed, workers=args.workers
        )
    except UserError as err:
        parser.exit(1, f"error: {err}\n")
    print(root)


if __name__ == "__main__":
    main()
