"""Generate a synthetic corpus in the Audio SNIPS layout s3prl's SF recipe reads.

Requests from :mod:`.requests` (seven intents, slots annotated by construction) are
read by 16 eSpeak NG voices named like the real corpus's 16 Amazon Polly voices, so the
loader's voice lists (s3prl's ``snips.yaml``) apply unchanged: every train voice reads
every train request, and so on; voices and requests are disjoint across splits. The tree::

    <root>/all.iob.snips.txt     "<Voice>-snips-<split>-<n> BOS <WORDS> EOS<TAB>O <slot types> <intent>"
    <root>/slots.txt             "O", then the slot types, most frequent first
    <root>/{train,valid,test}/<Voice>-snips-<split>-<n>.wav
    <root>/README.synthetic.txt  how it was made, the voices

Each utterance: 16 kHz mono 16-bit WAV, the request with 0.1-0.3 s of silence on both
sides, peak -12..-3 dBFS, a faint white noise floor (55 dB below the speech), as clean
as the real corpus's synthetic speech. Output is byte-identical for the same
``num_requests`` and ``seed``.

Run ``python -m benchmark.corpora.synthetic.snips --out DIR`` or call
:func:`ensure_synthetic_snips`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.corpora.loaders.snips import SPLITS
from benchmark.corpora.synthetic import requests
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

SPEAKER_STREAM = 17
FOLDERS = tuple(folder for folder, _ in SPLITS.values())  # train, valid, test
HELD_OUT_SHARE = 1 / 8  # of the requests, for valid and for test each
SHARD_UTTERANCES = 100
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Reading:
    """One utterance: a voice reading request ``number`` of its split; ``index`` seeds its randomness."""

    index: int
    speaker: Speaker  # ``id`` is the voice name, ``split`` the folder
    number: int
    intent: str
    words: tuple[tuple[str, str], ...]  # (word, slot type or "O")

    @property
    def uid(self) -> str:
        return f"{self.speaker.id}-snips-{self.speaker.split}-{self.number}"

    def line(self) -> str:
        """The utterance's all.iob.snips.txt line."""
        text = " ".join(word.upper() for word, _ in self.words)
        tags = " ".join(tag for _, tag in self.words)
        return f"{self.uid} BOS {text} EOS\tO {tags} {self.intent}\n"


def default_root(num_requests: int, seed: int) -> Path:
    """Cache directory of the corpus for ``num_requests`` and ``seed``."""
    return default_data_dir() / "synthetic" / f"snips-{num_requests}-s{seed}"


def voices(seed: int) -> list[Speaker]:
    """The 16 voices: eSpeak settings of :func:`.synthesis.make_speakers`, named and split as s3prl's lists."""
    named = [(name, folder) for folder, names in SPLITS.values() for name in names]
    made = make_speakers(len(named), seed, stream=SPEAKER_STREAM)
    return [dataclasses.replace(s, id=name, split=folder) for s, (name, folder) in zip(made, named)]


def plan_readings(num_requests: int, seed: int) -> list[Reading]:
    """Distinct requests dealt to the splits, each read by every voice of its split, in a fixed order."""
    held_out = max(1, round(num_requests * HELD_OUT_SHARE))
    if num_requests < 3 or num_requests - 2 * held_out < 1:
        raise UserError(f"num_requests must be at least 3 (one per split), got {num_requests}")
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 1])
    drawn: dict[tuple, str] = {}  # words -> intent, in drawing order
    for _ in range(100 * num_requests):
        intent, words = requests.request(rng)
        drawn.setdefault(tuple(words), intent)
        if len(drawn) == num_requests:
            break
    else:
        raise UserError(f"the request grammar has fewer than {num_requests} distinct requests; ask for fewer")
    pool = [(intent, words) for words, intent in drawn.items()]
    counts = {"valid": held_out, "test": held_out, "train": num_requests - 2 * held_out}
    readings: list[Reading] = []
    start = 0
    for folder in FOLDERS:
        chosen = pool[start : start + counts[folder]]
        start += counts[folder]
        for speaker in (s for s in voices(seed) if s.split == folder):
            readings += [Reading(len(readings) + i, speaker, n, intent, words)
                         for i, (n, (intent, words)) in enumerate(enumerate(chosen))]
    return readings


def render_reading(reading: Reading, seed: int) -> np.ndarray:
    """The utterance as int16 of shape ``(samples,)`` at 16 kHz."""
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 2, reading.index])
    speech = speak(" ".join(word for word, _ in reading.words), reading.speaker, rng, reading.index)
    speech *= 10 ** (rng.uniform(-12, -3) / 20) / np.max(np.abs(speech))
    pads = (rng.uniform(0.1, 0.3, size=2) * SAMPLE_RATE).astype(int)
    out = np.concatenate([np.zeros(pads[0]), speech, np.zeros(pads[1])])
    out += noise("white", len(out), rng) * np.sqrt(np.mean(speech**2)) * 10 ** (-55 / 20)
    return to_pcm16(out)


def _write_reading(out: Path, reading: Reading, seed: int) -> None:
    """Render and write one utterance (in a worker process; see :func:`.synthesis.render_plan`)."""
    write_wav(out / reading.speaker.split / f"{reading.uid}.wav", render_reading(reading, seed))


def _write_text_files(root: Path, readings: list[Reading], num_requests: int, seed: int) -> None:
    for folder in FOLDERS:
        (root / folder).mkdir()
    (root / "all.iob.snips.txt").write_text("".join(r.line() for r in readings))
    counts = Counter(tag for r in readings for _, tag in r.words if tag != requests.OUTSIDE)
    (root / "slots.txt").write_text("\n".join([requests.OUTSIDE, *sorted(counts, key=lambda t: (-counts[t], t))]))
    speakers = sorted({r.speaker for r in readings}, key=lambda s: (FOLDERS.index(s.split), s.id))
    sizes = Counter(r.speaker.split for r in readings)
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for Audio SNIPS as prepared by s3prl's
preprocess/snips_prepare_data.sh (all.iob.snips.txt, slots.txt, train/, valid/, test/).

Made by benchmark.corpora.synthetic.snips (generator version {GENERATOR_VERSION}) with
num_requests={num_requests}, seed={seed}. Utterances: {', '.join(f'{f} {sizes[f]}' for f in FOLDERS)}.

Requests: benchmark.corpora.synthetic.requests, templates of {len(requests.TEMPLATES)} intents with
{len(requests.VALUES)} slot types filled from fixed value lists, annotated by construction.
Every voice of a split reads every request of that split; requests and voices are
disjoint across splits. The voices carry the names of the real corpus's Amazon Polly
voices only so that s3prl's voice lists select the splits; they are eSpeak NG voices.
Audio: eSpeak NG (espeakng-loader package), resampled from 22050 to 16000 Hz,
silence-trimmed, 0.1-0.3 s of silence on both sides, peak -12..-3 dBFS, white noise
55 dB below the speech. 16-bit mono WAV.

No recorded speech is included; the tools used are eSpeak NG (GPL-3.0-or-later) and numpy.

Voices (name, split, eSpeak voice, pitch, pitch range, rate in words/min):
{speaker_table(speakers)}
"""
    )


def _generate(out: Path, readings: list[Reading], params: dict, progress: bool, workers: int | None) -> None:
    _write_text_files(out, readings, **params)
    render_plan(_write_reading, out, readings, params["seed"], shard_size=SHARD_UTTERANCES, workers=workers,
                progress=progress, desc="synthesising snips", unit="utt")


def ensure_synthetic_snips(
    root: Path | None = None,
    *,
    num_requests: int = 400,
    seed: int = 0,
    progress: bool = True,
    workers: int | None = None,
) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where the corpus lives; default :func:`default_root` (under
            ``$SUPERB_DATA_DIR``, default ``~/.cache/superb/data``).
        num_requests: distinct requests (at least 3); 1/8 each for valid and test, read by
            4 voices each, the rest for train, read by 8 voices.
        seed: selects voices, requests, levels, noise; same seed, same bytes.
        progress: show a progress bar.
        workers: worker processes (default: min(2, CPU count)).

    Safe to interrupt and to call concurrently (see :func:`.synthesis.ensure_generated`).
    """
    return ensure_corpus(root, default_root(num_requests, seed), GENERATOR_VERSION,
                         {"num_requests": num_requests, "seed": seed}, plan_readings, _generate,
                         progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "snips", "Audio SNIPS", ensure_synthetic_snips, num_requests="distinct requests")


if __name__ == "__main__":
    main()
