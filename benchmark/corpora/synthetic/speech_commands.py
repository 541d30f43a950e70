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

Run ``python -m benchmark.corpora.synthetic.speech_commands --out DIR`` or call
:func:`ensure_synthetic_speech_commands`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import numpy as np

from benchmark.corpora.synthetic.command import generator_main
from benchmark.corpora.synthetic.synthesis import (
    SAMPLE_RATE,
    Speaker,
    default_data_dir,
    ensure_corpus,
    make_speakers,
    noise,
    render_plan,
    speak,
    speaker_table,
    to_pcm16,
    write_wav,
)
from benchmark.errors import UserError

COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
OTHER_WORDS = ("bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow")
WORDS = COMMANDS + OTHER_WORDS

CLIP_SAMPLES = 16000  # 1 s
BACKGROUND_SECONDS = 20
MIN_SPEAKERS = 24
CLIPS_PER_SPEAKER = 60  # more clips -> more speakers, about 3 takes of each word each
SHARD_CLIPS = 250  # clips synthesised per fresh worker process (see .synthesis.render_plan)
GENERATOR_VERSION = 1

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


def default_root(num_clips: int, seed: int) -> Path:
    """Cache directory of the corpus for ``num_clips`` and ``seed``."""
    return default_data_dir() / "synthetic" / f"speech_commands_v0.01-{num_clips}-s{seed}"


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


def render_clip(clip: Clip, seed: int) -> np.ndarray:
    """The 1 s clip as int16 of shape ``(CLIP_SAMPLES,)`` at 16 kHz.

    The speaker's settings are jittered slightly per take; the word is trimmed of
    silence, scaled to a peak of -18..-3 dBFS, placed at a random offset and mixed
    with noise at 5..35 dB SNR (relative to the word's RMS); the rare mix that would
    clip is scaled down.
    """
    rng = np.random.default_rng([seed, 2, clip.index])
    word = speak(clip.word, clip.speaker, rng, clip.index)[:CLIP_SAMPLES]
    word = word * np.minimum(1.0, np.arange(len(word))[::-1] / 160)  # 10 ms fade-out: may be cut at 1 s
    word *= 10 ** (rng.uniform(-18, -3) / 20) / np.max(np.abs(word))
    offset = int(rng.integers(0, CLIP_SAMPLES - len(word) + 1))
    out = np.zeros(CLIP_SAMPLES)
    out[offset : offset + len(word)] = word
    snr_db = rng.uniform(5, 35)
    word_rms = np.sqrt(np.mean(word**2))
    out += noise(str(rng.choice(NOISE_KINDS)), CLIP_SAMPLES, rng) * word_rms * 10 ** (-snr_db / 20)
    return to_pcm16(out / max(1.0, np.max(np.abs(out)) / 0.99))  # no clipping


def _write_clip(out: Path, clip: Clip, seed: int) -> None:
    """Render and write one clip (in a worker process; see :func:`.synthesis.render_plan`)."""
    write_wav(out / clip.relpath, render_clip(clip, seed))


def _write_backgrounds(noise_dir: Path, seed: int) -> None:
    noise_dir.mkdir()
    for i, (name, (kind, level)) in enumerate(BACKGROUNDS.items()):
        rng = np.random.default_rng([seed, 3, i])
        write_wav(noise_dir / name, to_pcm16(level * noise(kind, BACKGROUND_SECONDS * SAMPLE_RATE, rng)))


def _write_text_files(root: Path, clips: list[Clip], num_clips: int, seed: int) -> None:
    for split, list_name in (("valid", "validation_list.txt"), ("test", "testing_list.txt")):
        lines = sorted(c.relpath for c in clips if c.speaker.split == split)
        (root / list_name).write_text("".join(f"{line}\n" for line in lines))
    table = speaker_table(list({c.speaker for c in clips}))
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for Speech Commands v0.01.

Made by benchmark.corpora.synthetic.speech_commands (generator version
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


def _generate(out: Path, clips: list[Clip], params: dict, progress: bool, workers: int | None) -> None:
    """Write the whole corpus into the (new, empty) directory ``out``."""
    for word in WORDS:
        (out / word).mkdir()
    _write_backgrounds(out / "_background_noise_", params["seed"])
    _write_text_files(out, clips, **params)
    render_plan(_write_clip, out, clips, params["seed"], shard_size=SHARD_CLIPS, workers=workers, progress=progress,
                desc="synthesising speech commands", unit="clip")


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
    return ensure_corpus(root, default_root(num_clips, seed), GENERATOR_VERSION, {"num_clips": num_clips, "seed": seed},
                         plan_clips, _generate, progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "speech_commands", "Speech Commands v0.01", ensure_synthetic_speech_commands,
                   num_clips="number of word clips")


if __name__ == "__main__":
    main()
