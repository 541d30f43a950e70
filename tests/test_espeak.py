"""eSpeak NG ctypes driver."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("espeakng_loader")

from benchmark.corpora.synthetic import espeak  # noqa: E402
from benchmark.errors import UserError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def test_synthesize_returns_plausible_audio():
    audio, rate = espeak.synthesize("yes")
    assert rate == 22050
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.2 < len(audio) / rate < 1.5  # one short word
    assert 0.05 < np.max(np.abs(audio)) <= 1.0
    assert np.sqrt(np.mean(audio**2)) > 0.01


def test_voices_and_parameters_change_the_audio():
    base, _ = espeak.synthesize("marvin", "en-us+m3")
    for voice, params in (("en+f3", {}), ("en-us+m3", {"pitch": 90}), ("en-us+m3", {"rate": 300})):
        other, _ = espeak.synthesize("marvin", voice, **params)
        assert len(other) != len(base) or not np.allclose(other, base, atol=1e-3)
    fast, _ = espeak.synthesize("marvin", "en-us+m3", rate=350)
    assert len(fast) < 0.8 * len(base)


def test_every_english_voice_speaks():
    for voice in espeak.ENGLISH_VOICES:
        audio, _ = espeak.synthesize("go", voice)
        assert np.max(np.abs(audio)) > 0.05, voice


def test_unknown_voice_or_variant_is_a_user_error():
    with pytest.raises(UserError, match="no voice 'xx-nope'"):
        espeak.synthesize("yes", "xx-nope")
    with pytest.raises(UserError, match=r"en-us\+nope"):
        espeak.synthesize("yes", "en-us+nope")
    assert "m3" in espeak.variants() and "f2" in espeak.variants()


def test_missing_library_is_a_user_error(monkeypatch):
    import espeakng_loader

    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nonexistent/libespeak-ng.so")
    with pytest.raises(UserError, match="cannot load eSpeak NG from /nonexistent"):
        espeak.Espeak()


def test_phonemes():
    assert espeak.phonemes("yes") == "jˈɛs"
    assert espeak.phonemes("yes", ipa=False) == "j'Es"
    assert len(espeak.phonemes("hello world. go home").split()) == 4


_REPLAY = """
import hashlib
from benchmark.corpora.synthetic import espeak
h = hashlib.sha1()
for word, voice in [("yes", "en-us"), ("happy", "en+f4"), ("yes", "en-us"), ("dog", "en-029+klatt")]:
    h.update(espeak.synthesize(word, voice, pitch=40, rate=160)[0].tobytes())
print(h.hexdigest())
"""


def test_same_calls_in_a_fresh_process_give_identical_audio():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    runs = [
        subprocess.run([sys.executable, "-c", _REPLAY], env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout
    assert len(runs[0].stdout.strip()) == len(hashlib.sha1().hexdigest())
