"""Generate a synthetic corpus in the real VoxCeleb1 layout (speaker identification and verification).

Speakers are eSpeak NG voices (:mod:`.synthesis`: accent, variant, pitch, pitch range,
rate), each with a loudness habit. Every speaker has several "videos"; a video is a
recording channel (level, band-pass and spectral tilt, noise kind and SNR) shared by
its utterances, which read different sentences (:mod:`.sentences`). So the same
speaker sounds different from video to video, as in VoxCeleb. The tree::

    <root>/vox1_dev_wav/wav/<id>/<video>/<nnnnn>.wav    speakers for verification training
    <root>/vox1_test_wav/wav/<id>/<video>/<nnnnn>.wav   the verification test speakers
    <root>/iden_split.txt    "1|2|3 <id>/<video>/<nnnnn>.wav": train / dev / test, every speaker
    <root>/veri_test2.txt    "1|0 <utt> <utt>": target / non-target trials among the test speakers
    <root>/README.synthetic.txt

Identification uses every speaker: per speaker, the first video is test, the second
dev, the others train (so test channels are never seen in training). Verification
trials are balanced, target pairs always from two different videos.

Each utterance: 2 to 8 s, 16 kHz mono 16-bit WAV. Output is byte-identical for the
same ``num_speakers`` and ``seed``. Run ``python -m benchmark.corpora.synthetic.voxceleb1
--out DIR`` or call :func:`ensure_synthetic_voxceleb1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
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

SPEAKER_STREAM = 16  # other speakers than the other synthetic corpora for the same seed
MIN_SPEAKERS = 12
VIDEOS_PER_SPEAKER = 5
UTTERANCES_PER_VIDEO = 3
MIN_SECONDS, MAX_SECONDS = 2.0, 8.0
TRIALS_PER_KIND = 1000  # target and non-target trials each, at most
SHARD_UTTERANCES = 100
NOISE_KINDS = ("white", "pink", "brown", "hum", "rumble", "hiss")
VIDEO_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Channel:
    """A video's recording conditions.

    Attributes:
        peak_db: peak level of the speech before noise, dBFS (speaker habit + video gain).
        low_hz, high_hz: band edges of the smooth band-pass (-3 dB points).
        tilt_db: spectral tilt in dB per octave around 1 kHz.
        noise: noise kind (:func:`.synthesis.noise`); ``snr_db`` its level below the speech RMS.
    """

    peak_db: float
    low_hz: float
    high_hz: float
    tilt_db: float
    noise: str
    snr_db: float


@dataclass(frozen=True)
class Utterance:
    """One file to render; ``index`` seeds its randomness."""

    index: int
    speaker: Speaker
    speaker_id: str  # "id10001"
    video: str  # 11 characters, like a YouTube id
    number: int  # 1-based within the video
    channel: Channel
    seconds: float

    @property
    def relpath(self) -> str:
        """``"<id>/<video>/<nnnnn>.wav"``, as in iden_split.txt and the trial lists."""
        return f"{self.speaker_id}/{self.video}/{self.number:05d}.wav"

    @property
    def subset(self) -> str:
        return "vox1_test_wav" if self.speaker.split == "test" else "vox1_dev_wav"


def default_root(num_speakers: int, seed: int) -> Path:
    """Cache directory of the corpus for ``num_speakers`` and ``seed``."""
    return default_data_dir() / "synthetic" / f"voxceleb1-{num_speakers}-s{seed}"


def _channel(rng: np.random.Generator, habit_db: float) -> Channel:
    return Channel(peak_db=float(np.clip(habit_db + rng.uniform(-9, 3), -30, -1)),
                   low_hz=float(rng.uniform(60, 400)), high_hz=float(rng.uniform(2800, 7600)),
                   tilt_db=float(rng.uniform(-4, 4)), noise=str(rng.choice(NOISE_KINDS)),
                   snr_db=float(rng.uniform(8, 30)))


def plan_utterances(num_speakers: int, seed: int) -> list[Utterance]:
    """Every utterance to render, speaker by speaker, video by video."""
    if num_speakers < MIN_SPEAKERS:
        raise UserError(f"num_speakers must be at least {MIN_SPEAKERS}, got {num_speakers}")
    speakers = make_speakers(num_speakers, seed, stream=SPEAKER_STREAM)
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 1])
    plan: list[Utterance] = []
    videos: set[str] = set()
    for k, speaker in enumerate(speakers):
        habit_db = rng.uniform(-12, -2)  # how loud this speaker usually is
        for _ in range(VIDEOS_PER_SPEAKER):
            video = "".join(rng.choice(list(VIDEO_CHARS), 11))
            while video in videos:
                video = "".join(rng.choice(list(VIDEO_CHARS), 11))
            videos.add(video)
            channel = _channel(rng, habit_db)
            for number in range(1, UTTERANCES_PER_VIDEO + 1):
                seconds = float(rng.uniform(MIN_SECONDS, MAX_SECONDS))
                plan.append(Utterance(len(plan), speaker, f"id{10001 + k}", video, number, channel, seconds))
    return plan


def channel_response(channel: Channel, num_samples: int) -> np.ndarray:
    """Magnitude response of the channel's filter on the ``rfft`` bins of ``num_samples``."""
    freqs = np.maximum(np.fft.rfftfreq(num_samples, 1 / SAMPLE_RATE), 1.0)
    high_pass = 1 / np.sqrt(1 + (channel.low_hz / freqs) ** 4)  # 2nd-order Butterworth magnitudes
    low_pass = 1 / np.sqrt(1 + (freqs / channel.high_hz) ** 4)
    tilt = 10 ** (channel.tilt_db * np.log2(freqs / 1000) / 20)
    return high_pass * low_pass * np.minimum(tilt, 10.0)


def render_utterance(utt: Utterance, seed: int) -> np.ndarray:
    """The utterance as int16 of shape ``(samples,)`` at 16 kHz, ``utt.seconds`` long.

    Sentences are spoken one after another with 0.15-0.4 s pauses until the duration
    is reached (the last one is cut, with a 10 ms fade), then filtered by the video's
    channel, scaled to its peak level and mixed with its noise (SNR jittered by 2 dB).
    """
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 2, utt.index])
    total = int(utt.seconds * SAMPLE_RATE)
    pieces = [np.zeros(int(rng.uniform(0.05, 0.3) * SAMPLE_RATE))]
    length = len(pieces[0])
    while length < total:
        speech = speak(" ".join(sentences.sentence(rng)), utt.speaker, rng, utt.index * 16 + len(pieces))
        pieces += [speech / np.max(np.abs(speech)), np.zeros(int(rng.uniform(0.15, 0.4) * SAMPLE_RATE))]
        length += len(pieces[-2]) + len(pieces[-1])
    clean = np.concatenate(pieces)[:total]
    clean *= np.minimum(1.0, np.arange(total)[::-1] / 160)
    filtered = np.fft.irfft(np.fft.rfft(clean) * channel_response(utt.channel, total), total)
    filtered *= 10 ** (utt.channel.peak_db / 20) / np.max(np.abs(filtered))
    rms = np.sqrt(np.mean(filtered[np.abs(filtered) > 0.01 * np.max(np.abs(filtered))] ** 2))
    snr_db = utt.channel.snr_db + rng.uniform(-2, 2)
    out = filtered + noise(utt.channel.noise, total, rng) * rms * 10 ** (-snr_db / 20)
    return to_pcm16(out / max(1.0, np.max(np.abs(out)) / 0.99))


def _write_utterance(out: Path, utt: Utterance, seed: int) -> None:
    """Render and write one utterance (in a worker process; see :func:`.synthesis.render_plan`)."""
    path = out / utt.subset / "wav" / utt.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, render_utterance(utt, seed))


def iden_split(plan: list[Utterance]) -> list[str]:
    """iden_split.txt lines: per speaker, video 1 is test (3), video 2 dev (2), the rest train (1)."""
    videos: dict[str, list[str]] = {}
    for utt in plan:
        if utt.video not in videos.setdefault(utt.speaker_id, []):
            videos[utt.speaker_id].append(utt.video)
    rank = {utt.relpath: videos[utt.speaker_id].index(utt.video) for utt in plan}
    return [f"{3 if rank[u.relpath] == 0 else 2 if rank[u.relpath] == 1 else 1} {u.relpath}" for u in plan]


def verification_trials(plan: list[Utterance], seed: int) -> list[str]:
    """Balanced veri_test2.txt lines among the test speakers; target pairs span two videos."""
    rng = np.random.default_rng([seed, SPEAKER_STREAM, 3])
    test = [u for u in plan if u.speaker.split == "test"]
    targets = [(a, b) for a, b in combinations(test, 2) if a.speaker_id == b.speaker_id and a.video != b.video]
    others = [(a, b) for a, b in combinations(test, 2) if a.speaker_id != b.speaker_id]
    count = min(TRIALS_PER_KIND, len(targets), len(others))
    chosen = [(1, targets[i]) for i in rng.choice(len(targets), count, replace=False)]
    chosen += [(0, others[i]) for i in rng.choice(len(others), count, replace=False)]
    order = rng.permutation(len(chosen))
    return [f"{chosen[i][0]} {chosen[i][1][0].relpath} {chosen[i][1][1].relpath}" for i in order]


def _write_text_files(root: Path, plan: list[Utterance], num_speakers: int, seed: int) -> None:
    (root / "iden_split.txt").write_text("".join(f"{line}\n" for line in iden_split(plan)))
    (root / "veri_test2.txt").write_text("".join(f"{line}\n" for line in verification_trials(plan, seed)))
    ids = {u.speaker.id: u.speaker_id for u in plan}
    speakers = sorted({u.speaker for u in plan}, key=lambda s: ids[s.id])
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for VoxCeleb1.

Made by benchmark.corpora.synthetic.voxceleb1 (generator version {GENERATOR_VERSION})
with num_speakers={num_speakers}, seed={seed}. Same layout as the real corpus
(vox1_dev_wav/wav/<id>/<video>/<nnnnn>.wav, vox1_test_wav/wav/..., iden_split.txt,
veri_test2.txt), so the same loader reads both.

{VIDEOS_PER_SPEAKER} videos per speaker, {UTTERANCES_PER_VIDEO} utterances per video, {MIN_SECONDS:g}-{MAX_SECONDS:g} s each:
sentences from benchmark.corpora.synthetic.sentences spoken by eSpeak NG (espeakng-loader
package) one after another. A video is a channel: peak level (the speaker's loudness
habit -12..-2 dBFS plus -9..+3 dB), 2nd-order band-pass 60-400 Hz .. 2.8-7.6 kHz,
spectral tilt -4..+4 dB/octave, and white, pink, brown, hum, rumble or hiss noise at
8..30 dB SNR. 16-bit mono WAV.
iden_split.txt: every speaker; video 1 test (3), video 2 dev (2), the rest train (1).
veri_test2.txt: balanced target / non-target trials among the vox1_test_wav speakers,
target pairs from two different videos.

No recorded speech is included; the tools used are eSpeak NG (GPL-3.0-or-later) and numpy.

Speaker ids: {', '.join(f'{ids[s.id]}={s.id}' for s in speakers)}
Speakers (id, split: test = vox1_test_wav, voice, eSpeak pitch, pitch range, rate in words/min):
{speaker_table(speakers)}
"""
    )


def _generate(out: Path, plan: list[Utterance], params: dict, progress: bool, workers: int | None) -> None:
    _write_text_files(out, plan, **params)
    render_plan(_write_utterance, out, plan, params["seed"], shard_size=SHARD_UTTERANCES, workers=workers,
                progress=progress, desc="synthesising voxceleb1", unit="utt")


def ensure_synthetic_voxceleb1(
    root: Path | None = None,
    *,
    num_speakers: int = 48,
    seed: int = 0,
    progress: bool = True,
    workers: int | None = None,
) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where the corpus lives; default :func:`default_root` (under
            ``$SUPERB_DATA_DIR``, default ``~/.cache/superb/data``).
        num_speakers: speakers in all (at least 12); 1/6 are verification test speakers.
        seed: selects speakers, channels, sentences, trials; same seed, same bytes.
        progress: show a progress bar.
        workers: worker processes (default: min(2, CPU count)).

    Safe to interrupt and to call concurrently (see :func:`.synthesis.ensure_generated`).
    """
    return ensure_corpus(root, default_root(num_speakers, seed), GENERATOR_VERSION,
                         {"num_speakers": num_speakers, "seed": seed}, plan_utterances, _generate,
                         progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "voxceleb1", "VoxCeleb1", ensure_synthetic_voxceleb1, num_speakers="speakers in all")


if __name__ == "__main__":
    main()
