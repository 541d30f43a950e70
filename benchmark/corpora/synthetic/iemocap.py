"""Generate a synthetic corpus in the real IEMOCAP layout: emotion carried by prosody alone.

Five sessions, each with two synthetic speakers of its own (``F`` and ``M``, as in
IEMOCAP's pairs of actors). Both read the same neutral sentences in dialogs, every
turn in one emotion that changes only the prosody relative to the speaker's own
voice (:data:`PROSODY`): pitch level and range, speaking rate, loudness and pauses.
Each turn's prosody is jittered, so emotions overlap; the emotion mix follows
IEMOCAP's (neutral the most frequent; happy half labelled ``exc``, which the loader
merges; a few ``fru`` and ``xxx`` turns, which it drops). The tree::

    <root>/Session<n>/sentences/wav/<dialog>/<dialog>_<F|M><nnn>.wav   16 kHz mono 16-bit
    <root>/Session<n>/dialog/EmoEvaluation/<dialog>.txt                real format
    <root>/README.synthetic.txt

Output is byte-identical for the same parameters. Run
``python -m benchmark.corpora.synthetic.iemocap --out DIR`` or call
:func:`ensure_synthetic_iemocap`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmark.corpora.loaders.iemocap import SESSIONS
from benchmark.corpora.synthetic.command import generator_main
from benchmark.corpora.synthetic.sentences import sentence
from benchmark.corpora.synthetic.synthesis import (
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

GENERATOR_VERSION = 1
DIALOG_KINDS = ("impro", "script")
SHARD_TURNS = 200  # turns synthesised per fresh worker process


@dataclass(frozen=True)
class Prosody:
    """An emotion's change to a speaker's voice (before the per-turn jitter)."""

    pitch: int  # added to eSpeak base pitch (0-100)
    pitch_range: float  # factor on eSpeak pitch range
    rate: float  # factor on words per minute
    gain_db: float  # level change
    pause_every: int  # a comma (a short pause) after every this many words; 0: none


PROSODY = {
    "neu": Prosody(pitch=0, pitch_range=1.0, rate=1.0, gain_db=0.0, pause_every=0),
    "hap": Prosody(pitch=12, pitch_range=1.6, rate=1.1, gain_db=3.0, pause_every=0),
    "ang": Prosody(pitch=6, pitch_range=1.3, rate=1.15, gain_db=7.0, pause_every=0),
    "sad": Prosody(pitch=-10, pitch_range=0.45, rate=0.78, gain_db=-6.0, pause_every=3),
}
PROSODY["exc"] = PROSODY["hap"]
PROSODY["fru"] = PROSODY["xxx"] = Prosody(pitch=3, pitch_range=1.1, rate=1.05, gain_db=2.0, pause_every=0)
EMOTION_MIX = {"neu": 0.31, "hap": 0.15, "exc": 0.14, "ang": 0.18, "sad": 0.18, "fru": 0.02, "xxx": 0.02}
"""Share of turns per EmoEvaluation label (IEMOCAP: neu 1708, hap+exc 1636, ang 1103, sad 1084)."""


@dataclass(frozen=True)
class Turn:
    """One utterance; ``index`` seeds its randomness."""

    index: int
    session: int  # 1..5
    dialog: str  # "Ses01F_impro01"
    name: str  # "Ses01F_impro01_M003"
    speaker: Speaker
    text: str
    emotion: str

    @property
    def relpath(self) -> str:
        return f"Session{self.session}/sentences/wav/{self.dialog}/{self.name}.wav"


def default_root(turns_per_dialog: int, seed: int) -> Path:
    return default_data_dir() / "synthetic" / f"iemocap-{turns_per_dialog}-s{seed}"


def plan_turns(dialogs_per_session: int, turns_per_dialog: int, num_sentences: int, seed: int) -> list[Turn]:
    """Every dialog alternates its session's two speakers over sentences of one shared pool."""
    if dialogs_per_session < 1 or turns_per_dialog < 2 or num_sentences < 1:
        raise UserError("a synthetic IEMOCAP needs at least 1 dialog per session, 2 turns per dialog, 1 sentence")
    rng = np.random.default_rng([seed, 23])
    sentences = [" ".join(sentence(rng, max_words=12)) for _ in range(num_sentences)]
    speakers = make_speakers(2 * len(SESSIONS), seed, stream=23)
    labels, shares = list(EMOTION_MIX), np.array(list(EMOTION_MIX.values()))
    turns = []
    for s in range(len(SESSIONS)):
        pair = {"F": speakers[2 * s], "M": speakers[2 * s + 1]}
        for d in range(dialogs_per_session):
            dialog = f"Ses{s + 1:02d}{'FM'[d % 2]}_{DIALOG_KINDS[d // 2 % 2]}{d + 1:02d}"
            for t in range(turns_per_dialog):
                who = "FM"[t % 2]
                turns.append(Turn(len(turns), s + 1, dialog, f"{dialog}_{who}{t // 2:03d}", pair[who],
                                  sentences[int(rng.integers(num_sentences))],
                                  str(rng.choice(labels, p=shares / shares.sum()))))
    return turns


def render_turn(turn: Turn, seed: int) -> np.ndarray:
    """The turn as int16 at 16 kHz: the speaker's voice moved by the emotion's prosody, jittered.

    Jitter per turn: pitch +-6, range and rate x0.85..1.15, level +-4 dB; the speech
    peaks at -12 dBFS before the emotion's gain; noise at 15..35 dB SNR.
    """
    rng = np.random.default_rng([seed, 24, turn.index])
    style = PROSODY[turn.emotion]
    voice = replace(turn.speaker,
                    pitch=int(np.clip(turn.speaker.pitch + style.pitch + rng.integers(-6, 7), 0, 100)),
                    pitch_range=int(np.clip(turn.speaker.pitch_range * style.pitch_range * rng.uniform(0.85, 1.15),
                                            0, 100)),
                    rate=int(np.clip(turn.speaker.rate * style.rate * rng.uniform(0.85, 1.15), 80, 400)))
    words = turn.text.split()
    if style.pause_every:
        words = [w + ("," if (i + 1) % style.pause_every == 0 and i + 1 < len(words) else "")
                 for i, w in enumerate(words)]
    speech = speak(" ".join(words), voice, rng, turn.index)
    speech *= 10 ** ((-12 + style.gain_db + rng.uniform(-4, 4)) / 20) / np.max(np.abs(speech))
    level = np.sqrt(np.mean(speech**2)) * 10 ** (-rng.uniform(15, 35) / 20)
    out = speech + noise(str(rng.choice(("pink", "brown", "hum"))), len(speech), rng) * level
    return to_pcm16(out / max(1.0, np.max(np.abs(out)) / 0.99))


def _write_turn(out: Path, turn: Turn, seed: int) -> None:
    """Render and write one turn (in a worker process; see :func:`.synthesis.render_plan`)."""
    write_wav(out / turn.relpath, render_turn(turn, seed))


def evaluation_text(turns: list[Turn], durations: list[float]) -> str:
    """An EmoEvaluation file: a header, then per turn its ``[start - end]`` line and three annotator votes."""
    names = {"neu": "Neutral", "hap": "Happiness", "exc": "Excited", "ang": "Anger", "sad": "Sadness",
             "fru": "Frustration", "xxx": "Other"}
    lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
    start = 1.0
    for turn, seconds in zip(turns, durations):
        lines += [f"[{start:.4f} - {start + seconds:.4f}]\t{turn.name}\t{turn.emotion}\t[2.5000, 2.5000, 2.5000]",
                  *(f"C-E{k}:\t{names[turn.emotion]};\t()" for k in (1, 2, 3)), ""]
        start += seconds + 0.5
    return "\n".join(lines)


def _write_evaluations(out: Path, turns: list[Turn]) -> None:
    """EmoEvaluation files, once the wavs exist (their lengths give the times)."""
    import soundfile

    for dialog in sorted({t.dialog for t in turns}):
        mine = [t for t in turns if t.dialog == dialog]
        durations = [soundfile.info(str(out / t.relpath)).duration for t in mine]
        path = out / f"Session{mine[0].session}" / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
        path.write_text(evaluation_text(mine, durations) + "\n")


def _generate(out: Path, turns: list[Turn], params: dict, progress: bool, workers: int | None) -> None:
    for turn in turns:
        (out / turn.relpath).parent.mkdir(parents=True, exist_ok=True)
        (out / f"Session{turn.session}" / "dialog" / "EmoEvaluation").mkdir(parents=True, exist_ok=True)
    render_plan(_write_turn, out, turns, params["seed"], shard_size=SHARD_TURNS, workers=workers, progress=progress,
                desc="synthesising iemocap", unit="utt")
    _write_evaluations(out, turns)
    styles = "\n".join(f"  {e}: {PROSODY[e]}" for e in EMOTION_MIX)
    (out / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for IEMOCAP (emotion recognition).

Made by benchmark.corpora.synthetic.iemocap (generator version {GENERATOR_VERSION}) with
{' '.join(f'{k}={v}' for k, v in params.items())}. Same layout as the real release
(Session<n>/sentences/wav/<dialog>/*.wav, Session<n>/dialog/EmoEvaluation/<dialog>.txt).

Two speakers per session, ten in all. The same {params['num_sentences']} neutral sentences are
read in every emotion; only prosody differs (relative to the speaker's voice, then
jittered per turn: pitch +-6, range and rate x0.85..1.15, level +-4 dB):
{styles}
Label shares: {EMOTION_MIX}. eSpeak NG (espeakng-loader), 22050 -> 16000 Hz, noise at
15..35 dB SNR. No recorded speech; tools: eSpeak NG (GPL-3.0-or-later), numpy.

Speakers (id, split (unused), voice, eSpeak pitch, pitch range, rate in words/min),
two per session in order:
{speaker_table(make_speakers(2 * len(SESSIONS), params['seed'], stream=23))}
"""
    )


def ensure_synthetic_iemocap(root: Path | None = None, *, dialogs_per_session: int = 4, turns_per_dialog: int = 40,
                             num_sentences: int = 60, seed: int = 0, progress: bool = True,
                             workers: int | None = None) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where it lives; default :func:`default_root` under ``$SUPERB_DATA_DIR``.
        dialogs_per_session, turns_per_dialog: 5 x 4 x 40 = 800 turns by default.
        num_sentences: the shared pool of neutral sentences.
        seed: same seed, same bytes.
    """
    params = {"dialogs_per_session": dialogs_per_session, "turns_per_dialog": turns_per_dialog,
              "num_sentences": num_sentences, "seed": seed}
    return ensure_corpus(root, default_root(turns_per_dialog, seed), GENERATOR_VERSION, params, plan_turns, _generate,
                         progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "iemocap", "IEMOCAP", ensure_synthetic_iemocap, turns_per_dialog="turns in each dialog")


if __name__ == "__main__":
    main()
