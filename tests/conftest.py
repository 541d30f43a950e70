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
    from benchmark.corpora.synthetic_speech_commands import ensure_synthetic_speech_commands

    return ensure_synthetic_speech_commands(tmp_path_factory.mktemp("sc") / "tiny", num_clips=160, progress=False)


def superb(*args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``superb`` CLI in a subprocess; returns the completed process (text output)."""
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    if check and proc.returncode != 0:
        raise AssertionError(f"superb {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc
