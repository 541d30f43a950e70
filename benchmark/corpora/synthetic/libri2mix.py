"""Generate a synthetic Libri2Mix for diarization, written as s3prl's Kaldi-style data dirs.

Each mixture is two eSpeak NG speakers of the same split (speaker-disjoint splits,
as LibriSpeech's train-clean-100 / dev-clean / test-clean under Libri2Mix), each
reading 1 to 3 sentences (:mod:`.sentences`) with 0.3-1.5 s pauses between them
after a 0.1-2 s onset, so that the speakers overlap in places and speak alone
in others. As Libri2Mix's ``max`` mode, the mixture is as long as the longer
source; as its ``mix_both``, noise is added. The tree::

    <root>/wav16k/max/{train-100,dev,test}/mix_both/<mixture>.wav
    <root>/{train,dev,test}/wav.scp, segments, utt2spk, spk2utt, reco2dur, rttm
    <root>/README.synthetic.txt

written as LibriMix's ``scripts/prepare_diarization.py`` writes them (ids
``<spk>-<chapter>-<utt>_<spk>-<chapter>-<utt>``, segment ids with the times in
ms), except that ``wav.scp`` paths are relative to ``<root>`` and the RTTM is
written by pyannote.

The reference is exact by construction: each source's speech activity is measured
before mixing, on 10 ms frames (active where the frame's peak exceeds 2 % of the
source's peak, gaps under 0.2 s bridged), and every segment starts and ends on
that 10 ms grid. Output is byte-identical for the same ``num_mixtures`` and ``seed``.

Run ``python -m benchmark.corpora.synthetic.libri2mix --out DIR`` or call
:func:`ensure_synthetic_libri2mix`.
"""

from __future__ import annotations

import io
import json
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
    write_wav,
)
from benchmark.errors import UserError

SPLITS = {"train": ("train", "train-100"), "valid": ("dev", "dev"), "test": ("test", "test")}
"""Speaker split (:func:`.synthesis.make_speakers`) to (data dir, Libri2Mix subset)."""
SPEAKER_STREAM = 16
NUM_SPEAKERS = 36  # 24 train, 6 dev, 6 test
MIN_MIXTURES = 16
MAX_WORDS = 10
FRAME = SAMPLE_RATE // 100  # 10 ms: the grid of the reference segments
ACTIVITY_RATIO = 0.02
BRIDGE_FRAMES = 20  # pauses shorter than 0.2 s are inside a segment
SHARD_MIXTURES = 40
NOISE_KINDS = ("white", "pink", "brown", "hum")
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Source:
    """One speaker's part of a mixture: the sentences read, and the speaker's LibriSpeech-style number."""

    speaker: Speaker
    number: int
    utterance_id: str  # "<number>-<chapter>-<nnnn>"
    readings: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Mixture:
    index: int
    split: str  # "train", "valid", "test"
    sources: tuple[Source, Source]

    @property
    def id(self) -> str:
        return "_".join(s.utterance_id for s in self.sources)

    @property
    def wav(self) -> str:
        """Path relative to the corpus root."""
        return f"wav16k/max/{SPLITS[self.split][1]}/mix_both/{self.id}.wav"


def default_root(num_mixtures: int, seed: int) -> Path:
    return default_data_dir() / "synthetic" / f"libri2mix-{num_mixtures}-s{seed}"


def plan_mixtures(num_mixtures: int, seed: int) -> list[Mixture]:
    """The mixtures to render: 1/8 dev, 1/8 test, the rest train, each of two speakers of its split."""
    if num_mixtures < MIN_MIXTURES:
        raise UserError(f"num_mixtures must be at least {MIN_MIXTURES}, got {num_mixtures}")
    speakers = make_speakers(NUM_SPEAKERS, seed, stream=SPEAKER_STREAM)
    number = {s.id: 2000 + 10 * i for i, s in enumerate(speakers)}
    held_out = num_mixtures // 8
    splits = ["valid"] * held_out + ["test"] * held_out + ["train"] * (num_mixtures - 2 * held_out)
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 1])
    mixtures = []
    for index, split in enumerate(splits):
        pool = [s for s in speakers if s.split == split]
        pair = rng.choice(len(pool), size=2, replace=False)
        sources = []
        for k in pair:
            speaker = pool[k]
            readings = tuple(tuple(sentences.sentence(rng, MAX_WORDS)) for _ in range(int(rng.integers(1, 4))))
            utterance_id = f"{number[speaker.id]}-{100 * number[speaker.id]}-{index:04d}"
            sources.append(Source(speaker, number[speaker.id], utterance_id, readings))
        mixtures.append(Mixture(index, split, tuple(sources)))
    return mixtures


def speech_turns(source: np.ndarray) -> list[tuple[int, int]]:
    """``(first, end)`` 10 ms frames of each speech segment of one source (``(samples,)``, a multiple of 10 ms)."""
    peaks = np.abs(source).reshape(-1, FRAME).max(axis=1)
    active = np.flatnonzero(peaks > ACTIVITY_RATIO * peaks.max())
    turns: list[list[int]] = []
    for frame in active.tolist():
        if turns and frame - turns[-1][1] < BRIDGE_FRAMES:
            turns[-1][1] = frame + 1
        else:
            turns.append([frame, frame + 1])
    return [(first, end) for first, end in turns]


def render_mixture(mixture: Mixture, seed: int) -> tuple[np.ndarray, list[list[tuple[int, int]]]]:
    """The mixture as int16 ``(samples,)`` at 16 kHz, and each source's speech turns in 10 ms frames."""
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 2, mixture.index])
    sources = []
    for j, source in enumerate(mixture.sources):
        parts = [np.zeros(int(rng.uniform(0.1, 2.0) * SAMPLE_RATE))]
        for k, words in enumerate(source.readings):
            if k:
                parts.append(np.zeros(int(rng.uniform(0.3, 1.5) * SAMPLE_RATE)))
            parts.append(speak(" ".join(words), source.speaker, rng, 4 * mixture.index + 2 * j + k))
        audio = np.concatenate(parts)
        speech = audio[np.abs(audio) > 0]
        audio *= 10 ** (rng.uniform(-33, -25) / 20) / np.sqrt(np.mean(speech**2))  # Libri2Mix: -33..-25 LUFS
        sources.append(audio)
    length = -(-max(len(s) for s in sources) // FRAME) * FRAME  # "max" mode, on the 10 ms grid
    sources = [np.pad(s, (0, length - len(s))) for s in sources]
    mix = sources[0] + sources[1]
    mix += noise(str(rng.choice(NOISE_KINDS)), length, rng) * 10 ** (rng.uniform(-45, -35) / 20)
    mix /= max(1.0, np.max(np.abs(mix)) / 0.9)  # as LibriMix: rescale the whole mixture against clipping
    return to_pcm16(mix), [speech_turns(s) for s in sources]


def _write_mixture(out: Path, mixture: Mixture, seed: int) -> None:
    """Write the mixture's wav and its turns (``.turns.json``, read back by :func:`_write_data_dirs`)."""
    pcm, turns = render_mixture(mixture, seed)
    path = out / mixture.wav
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, pcm)
    path.with_suffix(".turns.json").write_text(json.dumps({"samples": len(pcm), "turns": turns}))


def _ms(frame: int) -> str:
    """A time on the 10 ms grid as prepare_diarization's ``float2str``: milliseconds, 6 digits."""
    return f"{frame * 10:06d}"


def _write_data_dirs(root: Path, mixtures: list[Mixture]) -> None:
    from pyannote.core import Annotation, Segment

    for split, (folder, _) in SPLITS.items():
        members = [m for m in mixtures if m.split == split]
        lines: dict[str, list[str]] = {name: [] for name in ("wav.scp", "segments", "utt2spk", "reco2dur")}
        spk2utt: dict[str, list[str]] = {}
        rttm_text = []
        for mixture in members:
            turns_file = root / Path(mixture.wav).with_suffix(".turns.json")
            rendered = json.loads(turns_file.read_text())
            turns_file.unlink()
            lines["wav.scp"].append(f"{mixture.id} {mixture.wav}")
            lines["reco2dur"].append(f"{mixture.id} {rendered['samples'] / SAMPLE_RATE}")
            reference = Annotation(uri=mixture.id)
            for source, turns in zip(mixture.sources, rendered["turns"]):
                speaker = str(source.number)
                for first, end in turns:
                    segment = f"{mixture.id}_{_ms(first)}_{_ms(end)}"
                    lines["segments"].append(f"{segment} {mixture.id} {first / 100} {end / 100}")
                    lines["utt2spk"].append(f"{segment} {speaker}")
                    reference[Segment(first / 100, end / 100), segment] = speaker
                spk2utt.setdefault(speaker, []).append(mixture.id)
            buffer = io.StringIO()
            reference.write_rttm(buffer)
            rttm_text.append(buffer.getvalue())
        (root / folder).mkdir()
        for name, rows in lines.items():
            (root / folder / name).write_text("".join(f"{row}\n" for row in rows))
        (root / folder / "spk2utt").write_text("".join(f"{s} {' '.join(m)}\n" for s, m in spk2utt.items()))
        (root / folder / "rttm").write_text("".join(rttm_text))


def _write_readme(root: Path, mixtures: list[Mixture], num_mixtures: int, seed: int) -> None:
    speakers = {s.speaker for m in mixtures for s in m.sources}
    counts = {split: sum(m.split == split for m in mixtures) for split in SPLITS}
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for Libri2Mix (wav16k/max, mix_both) as
s3prl's diarization recipe reads it, the Kaldi-style data dirs of LibriMix's
scripts/prepare_diarization.py.

Made by benchmark.corpora.synthetic.libri2mix (generator version {GENERATOR_VERSION}) with
num_mixtures={num_mixtures}, seed={seed}: {counts['train']} train, {counts['valid']} dev, {counts['test']} test mixtures.

Each mixture: two eSpeak NG speakers of the same split (splits are speaker-disjoint),
each reading 1 to 3 sentences (up to {MAX_WORDS} words, benchmark.corpora.synthetic.sentences)
with 0.3-1.5 s pauses after a 0.1-2 s onset; each source scaled to -33..-25 dBFS RMS over its
speech; the mixture as long as the longer source, plus white, pink, brown or hum noise at
-45..-35 dBFS, rescaled as a whole if it would clip. 16-bit mono WAV, 16 kHz.

Reference (segments, utt2spk, rttm): each source's speech activity before mixing, on 10 ms
frames (peak above {ACTIVITY_RATIO:.0%} of the source's peak, gaps under {BRIDGE_FRAMES / 100:g} s bridged).
wav.scp paths are relative to this directory.

No recorded speech is included; the tools used are eSpeak NG (GPL-3.0-or-later), numpy and pyannote.core.

Speakers (id, split, voice, eSpeak pitch, pitch range, rate in words/min):
{speaker_table(sorted(speakers, key=lambda s: s.id))}
"""
    )


def _generate(out: Path, mixtures: list[Mixture], params: dict, progress: bool, workers: int | None) -> None:
    render_plan(_write_mixture, out, mixtures, params["seed"], shard_size=SHARD_MIXTURES, workers=workers,
                progress=progress, desc="synthesising libri2mix", unit="mix")
    _write_data_dirs(out, mixtures)
    _write_readme(out, mixtures, **params)


def ensure_synthetic_libri2mix(
    root: Path | None = None,
    *,
    num_mixtures: int = 320,
    seed: int = 0,
    progress: bool = True,
    workers: int | None = None,
) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where the corpus lives; default :func:`default_root` (under ``$SUPERB_DATA_DIR``).
        num_mixtures: mixtures in all (at least 16): 1/8 dev, 1/8 test, the rest train.
        seed: selects speakers, sentences, timing, levels, noise; same seed, same bytes.
        progress: show a progress bar.
        workers: worker processes (default: min(2, CPU count)).

    Safe to interrupt and to call concurrently (see :func:`.synthesis.ensure_generated`).
    """
    return ensure_corpus(root, default_root(num_mixtures, seed), GENERATOR_VERSION,
                         {"num_mixtures": num_mixtures, "seed": seed}, plan_mixtures, _generate,
                         progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "libri2mix", "Libri2Mix diarization (Kaldi data dirs)", ensure_synthetic_libri2mix,
                   num_mixtures="mixtures in all")


if __name__ == "__main__":
    main()
