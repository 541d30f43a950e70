"""Shared fixtures: a tiny synthetic Speech Commands tree, isolated caches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def isolated_dirs(tmp_path_factory):
    """Keep generated corpora and feature caches out of the user's home."""
    base = tmp_path_factory.mktemp("superb-home")
    os.environ["SUPERB_DATA_DIR"] = str(base / "data")
    os.environ["SUPERB_CACHE_DIR"] = str(base / "features")
    os.environ.pop("SUPERB_KS_DATA", None)
    yield base


@pytest.fixture(scope="session")
def tiny_sc(tmp_path_factory) -> Path:
    """A 160-clip synthetic Speech Commands v0.01 tree (24 speakers)."""
    from benchmark.corpora.synthetic.speech_commands import ensure_synthetic_speech_commands

    return ensure_synthetic_speech_commands(tmp_path_factory.mktemp("sc") / "tiny", num_clips=160, progress=False)


def superb(*args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``superb`` CLI in a subprocess; returns the completed process (text output)."""
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    if check and proc.returncode != 0:
        raise AssertionError(f"superb {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session", autouse=True)
def no_content_corpus_variables():
    """The PR/ASR/QbE corpus variables must not point the tests at a real corpus."""
    for name in ("SUPERB_LIBRISPEECH_DATA", "SUPERB_QUESST14_DATA"):
        os.environ.pop(name, None)


@pytest.fixture(scope="session")
def tiny_librispeech(tmp_path_factory) -> Path:
    """A 12-sentence synthetic LibriSpeech tree (8 train, 2 dev, 2 test speakers, one sentence each)."""
    from benchmark.corpora.synthetic.librispeech import ensure_synthetic_librispeech

    return ensure_synthetic_librispeech(tmp_path_factory.mktemp("ls") / "tiny", num_sentences=12, progress=False)


@pytest.fixture(scope="session")
def tiny_quesst(tmp_path_factory) -> Path:
    """A synthetic QUESST 2014 tree: 2 dev and 2 eval queries, 12 documents."""
    from benchmark.corpora.synthetic.quesst14 import ensure_synthetic_quesst14

    return ensure_synthetic_quesst14(tmp_path_factory.mktemp("quesst") / "tiny", num_queries=2, num_documents=12,
                                     progress=False)


@pytest.fixture(scope="session", autouse=True)
def no_ic_er_corpus_variables():
    """The IC/ER corpus variables must not point the tests at a real corpus."""
    for name in ("SUPERB_FSC_DATA", "SUPERB_IEMOCAP_DATA"):
        os.environ.pop(name, None)


@pytest.fixture(scope="session")
def tiny_fsc(tmp_path_factory) -> Path:
    """A synthetic Fluent Speech Commands tree: 6 speakers (4 train, 1 valid, 1 test), each intent once."""
    from benchmark.corpora.synthetic.fluent_commands import ensure_synthetic_fluent_commands

    return ensure_synthetic_fluent_commands(tmp_path_factory.mktemp("fsc") / "tiny", num_speakers=6,
                                            takes_per_intent=1, progress=False)


@pytest.fixture(scope="session")
def tiny_iemocap(tmp_path_factory) -> Path:
    """A synthetic IEMOCAP tree: 5 sessions, one dialog of 12 turns each."""
    from benchmark.corpora.synthetic.iemocap import ensure_synthetic_iemocap

    return ensure_synthetic_iemocap(tmp_path_factory.mktemp("iemocap") / "tiny", dialogs_per_session=1,
                                    turns_per_dialog=12, num_sentences=4, progress=False)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` need CUDA: skipped, with the reason, on a machine without it."""
    gpu = [item for item in items if "gpu" in item.keywords]
    if gpu:
        import torch

        if not torch.cuda.is_available():
            skip = pytest.mark.skip(reason="needs a CUDA GPU; torch.cuda.is_available() is False on this machine")
            for item in gpu:
                item.add_marker(skip)
