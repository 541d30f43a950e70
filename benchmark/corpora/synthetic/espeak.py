"""A small ctypes driver for the eSpeak NG speech synthesiser.

The shared library and its data come from the PyPI package ``espeakng-loader``
(no system install needed). Used to synthesise corpora (:mod:`.speech_commands`)
and as a grapheme-to-phoneme converter (:func:`phonemes`).

eSpeak NG keeps global state (current voice, parameters, callback), so the engine
is initialised once per process and is **not thread-safe**: call it from one thread
per process (use processes, not threads, for parallel synthesis).

Reproducibility: eSpeak's noise generator is re-seeded on every call, but the
library also keeps synthesis state in C statics (e.g. the pitch-flutter phase) that
neither a voice change nor ``espeak_Initialize`` resets. The samples of a call
therefore depend on what the process synthesised before it: the same sequence of
calls in a fresh process gives identical output, a repeated call in the same
process may differ slightly (a few samples of length, tiny waveform changes).

Voices are given as ``"<language>[+<variant>]"``, e.g. ``"en-us"`` or ``"en+f3"``;
:data:`ENGLISH_VOICES` and :func:`variants` list what the bundled data provides.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from benchmark.errors import UserError

ENGLISH_VOICES = (
    "en-us",
    "en",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
"""English voices (accents) in eSpeak NG's data; ``"en"`` is British English."""

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_PHONEMES_IPA = 0x02
_EE_OK = 0
_BUFFER_MS = 200

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class Espeak:
    """The eSpeak NG engine of this process; get it with :meth:`get`.

    Attributes:
        sample_rate: rate of the synthesised audio in Hz (22050 for eSpeak NG).
        data_path: the ``espeak-ng-data`` directory in use.
    """

    _instance: Espeak | None = None

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as err:
            raise UserError(
                "eSpeak NG is not installed: run `pip install espeakng-loader`"
            ) from err
        lib_path = espeakng_loader.get_library_path()
        try:
            self.data_path = Path(espeakng_loader.get_data_path())
            self._lib = ctypes.CDLL(lib_path)
            self._declare_functions()
        except (OSError, RuntimeError, AttributeError) as err:
            raise UserError(
                f"cannot load eSpeak NG from {lib_path} ({err}); "
                "reinstall it with `pip install --force-reinstall espeakng-loader`"
            ) from err
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, str(self.data_path).encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise UserError(
                f"eSpeak NG failed to initialise with data {self.data_path}; "
                "reinstall it with `pip install --force-reinstall espeakng-loader`"
            )
        self.sample_rate = int(rate)
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._collect)  # keep a reference alive
        self._lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    @classmethod
    def get(cls) -> Espeak:
        """The process-wide engine, initialised on first use."""
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _declare_functions(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int
        ]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p

    def _collect(self, wav, num_samples, _events) -> int:
        if wav and num_samples > 0:
            self._chunks.append(ctypes.string_at(wav, num_samples * 2))
        return 0

    def set_voice(self, voice: str) -> None:
        """Select a voice such as ``"en-us"`` or ``"en-us+f3"`` (no-op if already selected)."""
        if voice == self._voice:
            return
        variant = voice.partition("+")[2]
        known_variant = not variant or (self.data_path / "voices" / "!v" / variant).is_file()
        if not known_variant or self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            self._voice = None
            raise UserError(
                f"eSpeak NG has no voice {voice!r}; use a language such as "
                f"{', '.join(ENGLISH_VOICES[:3])}, optionally with +<variant> (e.g. +m3, +f2)"
            )
        self._voice = voice

    def synthesize(
        self,
        text: str,
        voice: str = "en-us",
        *,
        pitch: int = 50,
        rate: int = 175,
        pitch_range: int = 50,
        volume: int = 100,
        seed: int = 0,
    ) -> np.ndarray:
        """Speak ``text``; return float32 mono audio in [-1, 1] at :attr:`sample_rate`.

        Args:
            text: UTF-8 text.
            voice: ``"<language>[+<variant>]"``.
            pitch: base pitch, 0-100 (50 is the voice's normal).
            rate: speaking rate in words per minute, 80-450.
            pitch_range: pitch variation, 0 (monotone) to 100 (50 is normal).
            volume: 0-200 (100 is normal).
            seed: seed of eSpeak's internal noise generator, so that output is
                identical for identical arguments.

        Returns:
            Array of shape ``(num_samples,)``, including eSpeak's leading and
            trailing silence.
        """
        self.set_voice(voice)
        for param, value in ((_PITCH, pitch), (_RATE, rate), (_RANGE, pitch_range), (_VOLUME, volume)):
            self._lib.espeak_SetParameter(param, int(value), 0)
        self._lib.espeak_ng_SetRandSeed(seed)
        data = text.encode() + b"\0"
        self._chunks = []
        status = self._lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != _EE_OK:
            raise UserError(f"eSpeak NG could not synthesise {text!r} (status {status})")
        pcm = np.frombuffer(b"".join(self._chunks), dtype="<i2")
        self._chunks = []
        return pcm.astype(np.float32) / 32768.0

    def phonemes(self, text: str, voice: str = "en-us", *, ipa: bool = True, separator: str = "") -> str:
        """Translate ``text`` to phonemes (IPA, or eSpeak's ASCII names if ``ipa=False``).

        Words are separated by spaces and clauses by a space. A one-character
        ``separator`` is put between the phonemes of a word (stress marks stay
        attached to the vowel that follows them; eSpeak may repeat the separator).
        """
        self.set_voice(voice)
        buffer = ctypes.create_string_buffer(text.encode())
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        mode = (_PHONEMES_IPA if ipa else 0) | (ord(separator) << 8 if separator else 0)
        clauses = []
        while pointer.value:
            out = self._lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, mode)
            if out:
                clauses.append(out.decode().strip())
        return " ".join(c for c in clauses if c)


def synthesize(text: str, voice: str = "en-us", **params) -> tuple[np.ndarray, int]:
    """Speak ``text`` with the process-wide engine.

    Keyword arguments are those of :meth:`Espeak.synthesize` (pitch, rate,
    pitch_range, volume, seed).

    Returns:
        ``(audio, sample_rate)``: float32 array of shape ``(num_samples,)`` in
        [-1, 1], and its rate in Hz (eSpeak's native 22050, not 16 kHz).
    """
    engine = Espeak.get()
    return engine.synthesize(text, voice, **params), engine.sample_rate


def phonemes(text: str, voice: str = "en-us", *, ipa: bool = True, separator: str = "") -> str:
    """Phonemes of ``text`` (see :meth:`Espeak.phonemes`)."""
    return Espeak.get().phonemes(text, voice, ipa=ipa, separator=separator)


def variants() -> list[str]:
    """Names of the voice variants in the bundled data (``m1``, ``f3``, ``klatt``, ...), sorted."""
    return sorted(p.name for p in (Espeak.get().data_path / "voices" / "!v").iterdir() if p.is_file())
