"""Reading audio: any soundfile format, to mono float32 at 16 kHz.

Stereo is averaged to mono and other sample rates are resampled (torchaudio's
band-limited sinc), and both are counted in an :class:`AudioReport` that goes into
the result JSON; ``strict=True`` makes either one an error instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.errors import AudioError

SAMPLE_RATE = 16_000


@dataclass
class AudioReport:
    """What had to be converted while reading a corpus."""

    resampled: dict[int, int] = field(default_factory=dict)  # original rate -> files
    downmixed: int = 0  # multi-channel files averaged to mono

    def as_dict(self) -> dict:
        return {"resampled_from_hz": {str(k): v for k, v in sorted(self.resampled.items())},
                "downmixed_to_mono": self.downmixed}


def load_audio(path: Path, *, start: int = 0, end: int | None = None, gain_db: float = 0.0,
               strict: bool = False, report: AudioReport | None = None) -> np.ndarray:
    """Read ``path`` as ``(samples,)`` float32 at 16 kHz.

    Args:
        start, end: segment to keep, in samples at 16 kHz (after resampling);
            ``end=None`` keeps the rest of the file.
        gain_db: level change in dB (samples times ``10 ** (gain_db / 20)``).
        strict: refuse multi-channel audio and rates other than 16 kHz.
        report: counts conversions when given.

    Raises:
        AudioError: unreadable, empty, or (``strict``) not 16 kHz mono; or the
            segment lies outside the audio.
    """
    import soundfile

    try:
        wav, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as err:  # soundfile raises several types for bad files
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise AudioError(f"{path}: cannot be read as audio ({reason}); "
                         f"replace it with a valid WAV/FLAC file or remove it from the corpus") from None
    if wav.shape[0] == 0:
        raise AudioError(f"{path}: has 0 samples; remove it from the corpus or its list file")
    if wav.shape[1] > 1:
        if strict:
            raise AudioError(f"{path}: has {wav.shape[1]} channels; convert it to mono "
                             f"or drop --strict-audio to average the channels")
        if report is not None:
            report.downmixed += 1
    mono = wav.mean(axis=1) if wav.shape[1] > 1 else wav[:, 0]
    if rate != SAMPLE_RATE:
        if strict:
            raise AudioError(f"{path}: is sampled at {rate} Hz; resample it to 16000 Hz "
                             f"or drop --strict-audio to resample on the fly")
        mono = _resample(mono, rate)
        if report is not None:
            report.resampled[rate] = report.resampled.get(rate, 0) + 1
    stop = len(mono) if end is None else end
    if not 0 <= start < stop <= len(mono):
        raise AudioError(f"{path}: segment [{start}, {stop}) lies outside its {len(mono)} samples at 16 kHz; "
                         f"fix the corpus segment list")
    segment = np.ascontiguousarray(mono[start:stop])
    return segment * np.float32(10 ** (gain_db / 20)) if gain_db else segment


def _resample(wav: np.ndarray, rate: int) -> np.ndarray:
    import torch
    import torchaudio.functional

    return torchaudio.functional.resample(torch.from_numpy(wav), rate, SAMPLE_RATE).numpy()
