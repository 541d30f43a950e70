"""Generate a synthetic corpus in the real Fluent Speech Commands layout.

Every speaker says each of the 31 real intents (:data:`~benchmark.corpora.loaders.fluent_commands.INTENTS`)
in a few of its phrasings ("turn on the lights in the kitchen", "kitchen lights on",
...), spoken by eSpeak NG with per-take jitter, at a random level, with noise at a
random SNR. The tree::

    <root>/data/{train,valid,test}_data.csv     ",path,speakerId,transcription,action,object,location"
    <root>/wavs/speakers/<speakerId>/<n>.wav    16 kHz mono 16-bit
    <root>/README.synthetic.txt                 how it was made

Splits are speaker-disjoint (about 2/3 of the speakers train, 1/6 valid, 1/6 test),
as in the real corpus. Output is byte-identical for the same parameters.

Run ``python -m benchmark.corpora.synthetic.fluent_commands --out DIR`` or call
:func:`ensure_synthetic_fluent_commands`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.corpora.loaders.fluent_commands import COLUMNS, CSV_FILES, INTENTS
from benchmark.corpora.synthetic.command import generator_main
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
SHARD_UTTERANCES = 400
NOISE_KINDS = ("white", "pink", "brown")
PLACE_WORDS = {"kitchen": ("kitchen",), "bedroom": ("bedroom",), "washroom": ("washroom", "bathroom")}
THINGS = {"lights": ("lights",), "heat": ("heat", "heating"),
          "lamp": ("lamp",), "music": ("music",), "volume": ("volume",)}


def phrasings(action: str, obj: str, location: str) -> list[str]:
    """Every way the synthetic speakers say one intent (lower case, no punctuation)."""
    if action == "change language":
        if obj == "none":
            return ["change language", "switch the language", "i need a different language",
                    "language settings", "change the language please"]
        lang = obj.lower()
        return [f"change language to {lang}", f"switch the language to {lang}", f"set my language to {lang}",
                f"{lang} please", f"i want to use {lang}"]
    if action == "bring":
        return [f"bring me the {obj}", f"get me my {obj}", f"fetch the {obj}", f"{obj} please",
                f"go get the {obj}"]
    out: list[str] = []
    places = PLACE_WORDS.get(location, ("",))
    for thing in THINGS[obj]:
        for place in places:
            out += _device_phrases(action, thing, place)
    return out


def _device_phrases(action: str, thing: str, place: str) -> list[str]:
    here = f" in the {place}" if place else ""
    pre = f"{place} " if place else ""
    if action in ("activate", "deactivate"):
        word = "on" if action == "activate" else "off"
        phrases = [f"turn {word} the {thing}{here}", f"switch {word} the {pre}{thing}",
                   f"{pre}{thing} {word}", f"turn the {pre}{thing} {word}"]
        if thing == "music":
            phrases += ["play the music", "put on some music"] if word == "on" else ["stop the music",
                                                                                     "pause the music"]
        return phrases
    up = action == "increase"
    if thing == "volume":
        return (["turn up the volume", "increase the volume", "louder please", "volume up", "make it louder"] if up
                else ["turn down the volume", "decrease the volume", "quieter please", "volume down",
                      "too loud"])
    word, feel = ("up", "warmer") if up else ("down", "cooler")
    return [f"turn {word} the {thing}{here}", f"{'increase' if up else 'decrease'} the {thing}{here}",
            f"{pre}{thing} {word}", f"make it {feel}{here}"]


@dataclass(frozen=True)
class Take:
    """One spoken command; ``index`` seeds its randomness."""

    index: int
    speaker: Speaker
    text: str
    intent: tuple[str, str, str]

    @property
    def relpath(self) -> str:
        return f"wavs/speakers/{self.speaker.id}/{self.index:06d}.wav"


DEFAULT_TAKES = 2


def default_root(num_speakers: int, seed: int, takes_per_intent: int = DEFAULT_TAKES) -> Path:
    """Cache directory of the corpus (the default number of takes is left out of its name)."""
    takes = "" if takes_per_intent == DEFAULT_TAKES else f"-t{takes_per_intent}"
    return default_data_dir() / "synthetic" / f"fluent_speech_commands-{num_speakers}{takes}-s{seed}"


def plan_takes(num_speakers: int, takes_per_intent: int, seed: int) -> list[Take]:
    """Every speaker says every intent ``takes_per_intent`` times, in distinct seeded phrasings."""
    if num_speakers < 6:
        raise UserError(f"num_speakers must be at least 6 (train, valid and test need speakers), got {num_speakers}")
    speakers = make_speakers(num_speakers, seed, stream=17)
    rng = np.random.default_rng([seed, 17])
    takes = []
    for speaker in speakers:
        for intent in INTENTS:
            options = phrasings(*intent)
            for k in rng.permutation(len(options))[:takes_per_intent]:
                takes.append(Take(len(takes), speaker, options[k], intent))
    return takes


def render_take(take: Take, seed: int) -> np.ndarray:
    """The command as int16 at 16 kHz: peak -9..-3 dBFS, 0.05-0.2 s of noise around it at 15..35 dB SNR."""
    rng = np.random.default_rng([seed, 18, take.index])
    speech = speak(take.text, take.speaker, rng, take.index)
    speech *= 10 ** (rng.uniform(-9, -3) / 20) / np.max(np.abs(speech))
    lead, tail = (int(rng.uniform(0.05, 0.2) * 16000) for _ in range(2))
    out = np.concatenate([np.zeros(lead), speech, np.zeros(tail)])
    level = np.sqrt(np.mean(speech**2)) * 10 ** (-rng.uniform(15, 35) / 20)
    out += noise(str(rng.choice(NOISE_KINDS)), len(out), rng) * level
    return to_pcm16(out / max(1.0, np.max(np.abs(out)) / 0.99))


def _write_take(out: Path, take: Take, seed: int) -> None:
    """Render and write one take (in a worker process; see :func:`.synthesis.render_plan`)."""
    write_wav(out / take.relpath, render_take(take, seed))


def _write_text_files(root: Path, takes: list[Take], params: dict) -> None:
    (root / "data").mkdir()
    for split, name in zip(("train", "valid", "test"), CSV_FILES.values()):
        with open(root / "data" / name, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["", *COLUMNS])
            rows = [t for t in takes if t.speaker.split == split]
            for n, t in enumerate(rows):
                writer.writerow([n, t.relpath, t.speaker.id, t.text.capitalize(), *t.intent])
    table = speaker_table(list({t.speaker for t in takes}))
    counts = [len(phrasings(*intent)) for intent in INTENTS]
    (root / "README.synthetic.txt").write_text(
        f"""SYNTHETIC speech, not recordings: a stand-in for Fluent Speech Commands.

Made by benchmark.corpora.synthetic.fluent_commands (generator version {GENERATOR_VERSION})
with {' '.join(f'{k}={v}' for k, v in params.items())}. Same layout as the real corpus
(data/*_data.csv, wavs/speakers/<id>/*.wav), so the same loader reads both.

The 31 real intents (6 actions, 14 objects, 4 locations), each in {min(counts)}-{max(counts)} phrasings;
every speaker says every intent in {params['takes_per_intent']} distinct phrasings.
Each take: eSpeak NG (espeakng-loader package), 22050 -> 16000 Hz, peak -9..-3 dBFS,
0.05-0.2 s lead and tail, noise (white, pink or brown) at 15..35 dB SNR.
Splits are speaker-disjoint. No recorded speech; tools: eSpeak NG (GPL-3.0-or-later), numpy.

Speakers (id, split, voice, eSpeak pitch, pitch range, rate in words/min):
{table}
"""
    )


def _generate(out: Path, takes: list[Take], params: dict, progress: bool, workers: int | None) -> None:
    for speaker in {t.speaker for t in takes}:
        (out / "wavs" / "speakers" / speaker.id).mkdir(parents=True)
    _write_text_files(out, takes, params)
    render_plan(_write_take, out, takes, params["seed"], shard_size=SHARD_UTTERANCES, workers=workers,
                progress=progress, desc="synthesising fluent speech commands", unit="utt")


def ensure_synthetic_fluent_commands(root: Path | None = None, *, num_speakers: int = 80, takes_per_intent: int = DEFAULT_TAKES,
                                     seed: int = 0, progress: bool = True, workers: int | None = None) -> Path:
    """Return the root of the synthetic corpus, generating it on first use.

    Args:
        root: where it lives; default :func:`default_root` under ``$SUPERB_DATA_DIR``.
        num_speakers: at least 6; 1/6 valid, 1/6 test, the rest train.
        takes_per_intent: phrasings each speaker says of each intent (31 intents).
        seed: same seed, same bytes.
    """
    return ensure_corpus(root, default_root(num_speakers, seed, takes_per_intent), GENERATOR_VERSION,
                         {"num_speakers": num_speakers, "takes_per_intent": takes_per_intent, "seed": seed},
                         plan_takes, _generate, progress=progress, workers=workers)


def main(argv: list[str] | None = None) -> None:
    generator_main(argv, "fluent_commands", "Fluent Speech Commands", ensure_synthetic_fluent_commands,
                   num_speakers="speakers in all", takes_per_intent="phrasings each speaker says of each intent")


if __name__ == "__main__":
    main()
