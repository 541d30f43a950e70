"""From transcripts to CTC targets: characters (ASR), phones (PR), characters and slot tokens (SF).

Characters: the LibriSpeech alphabet, ``A``-``Z``, the apostrophe and the space
(the word boundary, s3prl's ``|``).

Phones: eSpeak NG's ``en-us`` phonemes of the whole transcript (lower-cased, so that
words like ``IT`` are not read as abbreviations), in IPA with the stress marks
removed: the 60 units of :data:`PHONES`. A phoneme eSpeak writes that is not in the
set (rare foreign sounds) is split into the longest units of the set; one that
cannot be split is an error. The same engine speaks the synthetic corpora, so their
labels and audio agree (up to the accent of each synthetic voice). This departs
from s3prl, whose PR targets come from a LibriSpeech lexicon in ARPAbet with 3
stress levels per vowel (71 units with SIL and SPN).

Slots (SF): annotated transcripts such as ``"PLAY B-artist MADONNA E-artist ON SPOTIFY"``
(:mod:`benchmark.corpora.loaders.snips`) become the characters plus one token for each
``B-<type>`` and ``E-<type>``, as s3prl's character-slot tokenizer: ``B-artist``, ``M``,
..., ``A``, ``E-artist``, space, ``O``, ... (no space next to a tag). A character outside
:data:`CHARACTERS` is ``<unk>``. The slot tokens are those of the slot types the corpus uses.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable
from dataclasses import dataclass

from benchmark.errors import CorpusError

CHARACTERS = (" ", "'", *string.ascii_uppercase)

PHONES = (
    "aɪ", "aɪə", "aɪɚ", "aʊ", "b", "d", "dʒ", "eɪ", "f", "h", "i", "iə", "iː", "j", "k", "l", "m",
    "n", "n̩", "oʊ", "p", "r", "s", "t", "tʃ", "uː", "v", "w", "x", "z", "æ", "ð", "ŋ", "ɐ", "ɑː",
    "ɑːɹ", "ɔ", "ɔɪ", "ɔː", "ɔːɹ", "ə", "əl", "ɚ", "ɛ", "ɛɹ", "ɜː", "ɡ", "ɪ", "ɪɹ", "ɬ", "ɹ", "ɾ",
    "ʃ", "ʊ", "ʊɹ", "ʌ", "ʒ", "ʔ", "θ", "ᵻ",
)
"""The phone set: every phoneme eSpeak NG ``en-us`` writes for 26,000 English words,
stress removed (``ᵻ`` is eSpeak's reduced ``ɪ``/``ə``, ``ɾ`` the flap, ``n̩`` syllabic n)."""

UNKNOWN = "<unk>"
SLOT_BEGIN, SLOT_END = "B-", "E-"

_STRESS = str.maketrans("", "", "ˈˌ")
_SEPARATOR = "_"


@dataclass(frozen=True)
class Units:
    """A CTC output alphabet: index 0 is the blank, symbol ``i`` is index ``i + 1``."""

    name: str
    symbols: tuple[str, ...]

    def __len__(self) -> int:
        """Number of outputs, blank included."""
        return len(self.symbols) + 1

    def encode(self, sequence: list[str]) -> list[int]:
        index = {s: i + 1 for i, s in enumerate(self.symbols)}
        return [index[s] for s in sequence]

    def decode(self, ids: list[int]) -> list[str]:
        return [self.symbols[i - 1] for i in ids]


UNITS = {"characters": Units("characters", CHARACTERS), "phones": Units("phones", PHONES)}


def units_for(name: str, transcripts: Iterable[str]) -> Units:
    """The alphabet ``name`` (``"characters"``, ``"phones"`` or ``"slots"``); the slot
    tokens of ``"slots"`` are those of the slot types ``transcripts`` annotate (sorted)."""
    if name != "slots":
        return UNITS[name]
    types = sorted({token[2:] for text in transcripts for token in text.split() if _is_tag(token)})
    return Units("slots", (*CHARACTERS, UNKNOWN, *(f"{mark}{t}" for t in types for mark in (SLOT_BEGIN, SLOT_END))))


def _is_tag(token: str) -> bool:
    return token.startswith((SLOT_BEGIN, SLOT_END)) and len(token) > 2


def slot_symbols(transcript: str) -> list[str]:
    """``"PLAY B-artist ABBA E-artist"`` to ``["P", "L", "A", "Y", " ", "B-artist", "A", ..., "E-artist"]``."""
    symbols: list[str] = []
    for token in transcript.split():
        if token.startswith(SLOT_END) and _is_tag(token):
            symbols.append(token)
            continue
        if symbols and not symbols[-1].startswith(SLOT_BEGIN):
            symbols.append(" ")
        symbols += [token] if _is_tag(token) else [c if c in CHARACTERS else UNKNOWN for c in token]
    return symbols


def characters(transcript: str) -> list[str]:
    """``"IT'S A DOG"`` to its characters, words separated by one space.

    Raises:
        CorpusError: a character outside :data:`CHARACTERS`.
    """
    text = " ".join(transcript.upper().split())
    unknown = sorted(set(text) - set(CHARACTERS))
    if unknown:
        raise CorpusError(f"transcript {transcript!r} has characters outside A-Z, ' and space: "
                          f"{''.join(unknown)!r}; normalise the corpus transcripts")
    return list(text)


@functools.lru_cache(maxsize=None)
def g2p(transcript: str) -> tuple[str, ...]:
    """The phones of ``transcript`` (see the module docstring), e.g. ``"YES"`` -> ``("j", "ɛ", "s")``."""
    from benchmark.corpora.synthetic import espeak

    phones: list[str] = []
    written = espeak.phonemes(transcript.lower(), "en-us", separator=_SEPARATOR)
    for phoneme in written.replace(" ", _SEPARATOR).split(_SEPARATOR):
        phoneme = phoneme.translate(_STRESS)
        if phoneme:
            phones += _split(phoneme, transcript)
    return tuple(phones)


def _split(phoneme: str, transcript: str) -> list[str]:
    """``phoneme`` itself if it is in :data:`PHONES`, else its longest-first split into phones."""
    if phoneme in PHONES:
        return [phoneme]
    for end in range(len(phoneme) - 1, 0, -1):
        if phoneme[:end] in PHONES:
            return [phoneme[:end], *_split(phoneme[end:], transcript)]
    raise CorpusError(f"eSpeak NG gives the phoneme {phoneme!r} for {transcript!r}, which is not in the phone "
                      f"set of benchmark/transcripts.py; report it with the transcript")


def targets(units: str, transcript: str) -> list[str]:
    """The CTC target symbols of ``transcript``: ``units`` is ``"characters"``, ``"phones"`` or ``"slots"``."""
    if units == "slots":
        return slot_symbols(transcript)
    return characters(transcript) if units == "characters" else list(g2p(transcript))


def as_text(units: str, symbols: list[str]) -> str:
    """Symbols as the string the metrics read: the words (characters), space-separated phones, or
    for slots s3prl's decoded string (``"B-<type> "`` and ``" E-<type>"`` around the characters)."""
    if units == "slots":
        return "".join(f"{s} " if s.startswith(SLOT_BEGIN) else f" {s}" if s.startswith(SLOT_END) else s
                       for s in symbols)
    return " ".join("".join(symbols).split()) if units == "characters" else " ".join(symbols)
