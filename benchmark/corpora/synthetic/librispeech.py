"""Generate a synthetic corpus in the real LibriSpeech layout.

Sentences from :mod:`.sentences` (its small grammar of frequent words,
:data:`.sentences.COMMON`, 128 words, 2 to 10 words each, a longer first clause kept whole) are read by eSpeak NG speakers (:mod:`.synthesis`); the splits are
speaker-disjoint (about 2/3 of the speakers train, 1/6 dev, 1/6 test) and no
sentence is read twice; each speaker reads about 100. The tree::

    <root>/train-clean-100/<speaker>/<chapter>/<speaker>-<chapter>-<nnnn>.flac
    <root>/train-clean-100/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt
    <root>/dev-clean/..., <root>/test-clean/...     same
    <root>/README.synthetic.txt                      how it was made, the speakers

Each utterance: 16 kHz mono 16-bit FLAC, 1 to about 4.5 s (mean 2.2 s), the sentence with 0.1-0.3 s
of silence on both sides (more at the end to reach 1 s), peak -20..-3 dBFS, plus quiet noise (25..45 dB SNR).
Output is byte-identical for the same ``num_sentences`` and ``seed``.

Run ``python -m benchmark.corpora.synthetic.librispeech --out DIR`` or call
:func:`ensure_synthetic_librispeech`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.corpora.synthetic import sentences
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
)
from benchmark.errors import UserError

SUBSETS = {"train": "train-clean-100", "valid": "dev-clean", "test": "test-clean"}
"""Speaker split (:func:`.synthesis.make_speakers`) to LibriSpeech subset."""
SPEAKER_STREAM = 11  # other speakers than the Speech Commands ones for the same seed
MIN_SPEAKERS = 12
SENTENCES_PER_SPEAKER = 100
CHAPTERS_PER_SPEAKER = 2
MAX_WORDS = 10
DEFAULT_SENTENCES = 3000
MIN_SAMPLES = SAMPLE_RATE  # 1 s: short sentences get more trailing silence
SHARD_UTTERANCES = 100
NOISE_KINDS = ("white", "pink", "brown", "hum")
GENERATOR_VERSION = 2


@dataclass(frozen=True)
class Reading:
    """One utterance: a speaker reading a sentence; ``index`` seeds its randomness."""

    index: int
    speaker: Speaker
    number: int  # the LibriSpeech speaker number
    chapter: int
    utterance: int
    words: tuple[str, ...]

    @property
    def stem(self) -> str:
        return f"{self.number}-{self.chapter}-{self.utterance:04d}"

    @property
    def folder(self) -> str:
        """``"<subset>/<speaker>/<chapter>"``."""
        return f"{SUBSETS[self.speaker.split]}/{self.number}/{self.chapter}"


def default_root(num_sentences: int, seed: int) -> Path:
    """Cache directory of the corpus for ``num_sentences`` and ``seed``."""
    return default_data_dir() / "synthetic" / f"librispeech-{num_sentences}-s{seed}"


def plan_readings(num_sentences: int, seed: int) -> list[Reading]:
    """The utterances to render, in a fixed order: distinct sentences dealt to speakers in turn."""
    if num_sentences < MIN_SPEAKERS:
        raise UserError(f"num_sentences must be at least {MIN_SPEAKERS} (one per speaker), got {num_sentences}")
    speakers = make_speakers(max(MIN_SPEAKERS, math.ceil(num_sentences / SENTENCES_PER_SPEAKER)), seed,
                             stream=SPEAKER_STREAM)
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 1])
    seen: set[tuple[str, ...]] = set()
    readings: list[Reading] = []
    while len(readings) < num_sentences:
        words = tuple(sentences.sentence(rng, MAX_WORDS, sentences.COMMON))
        if words in seen:
            continue
        seen.add(words)
        k = len(readings)
        speaker_index = k % len(speakers)
        turn = k // len(speakers)
        number = 1000 + 10 * speaker_index
        chapter = 100 * number + turn % CHAPTERS_PER_SPEAKER
        readings.append(Reading(k, speakers[speaker_index], number, chapter, turn // CHAPTERS_PER_SPEAKER, words))
    return readings


def render_reading(reading: Reading, seed: int) -> np.ndarray:
    """The utterance as int16 of shape ``(samples,)`` at 16 kHz."""
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 2, reading.index])
    speech = speak(" ".join(reading.words), reading.speaker, rng, reading.index)
    speech *= 10 ** (rng.uniform(-20, -3) / 20) / np.max(np.abs(speech))
    pads = (rng.uniform(0.1, 0.3, size=2) * SAMPLE_RATE).astype(int)
    pads[1] = max(pads[1], MIN_SAMPLES - pads[0] - len(speech))
    out = np.concatenate([np.zeros(pads[0]), speech, np.zeros(pads[1])])
    rms = np.sqrt(np.mean(speech**2))
    out += noise(str(rng.choice(NOISE_KINDS)), len(out), rng) * rms * 10 ** (-rng.uniform(25, 45) / 20)
    return to_pcm16(out / max(1.0, np.max(np.abs(out)) / 0.99))


def _write_reading(out: Path, reading: Reading, seed: int) -> None:
    """Render and write one utterance (in a worker process; see :func:`.synthesis.render_plan`)."""
    import soundfile

    path = out / reading.folder / f"{reading.stem}.flac"
    soundfile.write(str(path), render_reading(reading, seed), SAMPLE_RATE, format="FLAC", subtype="PCM_16")


def _write_text_files(root: Path, readings: list[Reading], num_sentences: int, seed: int) -> None:
    chapters: dict[str, list[Reading]] = {}
    for reading in readings:
        chapters.setdefault(reading.folder, []).append(reading)
    for folder, members in chapters.items():
        (root / folder).mkdir(parents=True)
        number, chapter = members[0].number, members[0].chapter
        lines = "".join(f"{r.stem} {sentences.transcript(list(r.words))}\n" for r in members)
        (root / folder / f"{number}-{chapter}.trans.txt").write_text(lines)
    speakers = list({r.speaker for r in readings})
    numbers = {r.speaker.id: r.number for r in readings}
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for LibriSpeech (train-clean-100,
dev-clean, test-clean).

Made by benchmark.corpora.synthetic.librispeech (generator version {GENERATOR_VERSION})
with num_sentences={num_sentences}, seed={seed}. Same layout as the real corpus
(<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<nnnn>.flac and
<speaker>-<chapter>.trans.txt), so the same loader reads both.

Sentences: generated by benchmark.corpora.synthetic.sentences, a small grammar over
{len(sentences.COMMON.vocabulary)} frequent words (and plurals of its nouns) (2 to {MAX_WORDS} words each, no sentence read twice).
Audio: eSpeak NG (espeakng-loader package), resampled from 22050 to 16000 Hz,
silence-trimmed, 0.1-0.3 s of silence added on both sides (at least 1 s in all), peak -20..-3 dBFS, plus
white, pink, brown or hum noise at 25..45 dB SNR. 16-bit mono FLAC.
Speakers are eSpeak accent+variant with their own pitch, pitch range and rate
(jittered slightly per utterance); splits are speaker-disjoint.

No recorded speech is included; the tools used are eSpeak NG (GPL-3.0-or-later) and numpy.

Speaker numbers: {', '.join(f'{numbers[s.id]}={s.id}' for s in sorted(speakers, key=lambda s: numbers[s.id]))}
Speakers (id, split, voice, eSpeak pitch, pitch range, rate in words/min):
{speaker_table(speakers)}
"""
    )


def _generate(out: Path, readings: list[Reading], params: dict, progress: bool, workers: int | None) -> None:
    _write_text_files(out, readings, **params)
    render_plan(_write_reading, out, readings, params["seed"], shard_size=SHARD_UTTERANCES, workers=workers,
                progress=progress, desc="synthesising librispeech", unit="utt")


def ensure_synthetic_librispeech(
    root: Path | None = None,
    *,
    num_sentences: int = DEFAULT_SENTENCES,
    seed: int = 0,
    progress: bool = True,
    workers: int | None = None,
) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where the corpus lives; default :func:`default_root` (under
            ``$SUPERB_DATA_DIR``, default ``~/.cache/superb/data``).
        num_sentences: utterances in all (at least 12); about 2/3 are train.
        seed: selects speakers, sentences, levels, noise; same seed, same bytes.
        progress: show a progress bar.
        workers: worker processes (default: min(2, CPU count)).

    Safe to interrupt and to call concurrently (see :func:`.synthesis.ensure_generated`).
    """
    return ensure_corpus(root, default_root(num_sentences, seed), GENERATOR_VERSION,
                         {"num_sentences": num_sentences, "seed": seed}, plan_readings, _generate,
                         progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "librispeech", "LibriSpeech", ensure_synthetic_librispeech, num_sentences="utterances in all")


if __name__ == "__main__":
    main()
