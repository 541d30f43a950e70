"""The result JSON: one file per run, written atomically, with its provenance.

Layout: ``<out>/<upstream slug>/<task>/<run id>/result.json`` beside the run's
``checkpoint.pt``. The run id hashes everything that shaped the run (upstream
identity, task and version, corpus content, every setting), so an identical
command finds its finished result or resumes its checkpoint.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmark.atomic import atomic_write

SCHEMA_VERSION = 1
PACKAGES = ("torch", "torchaudio", "numpy", "soundfile", "espeakng-loader", "openai-whisper", "s3prl")


def run_id(identity: dict[str, Any]) -> str:
    """Short stable hash of a JSON-serialisable description of a run."""
    blob = json.dumps(identity, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=5).hexdigest()


def slug(name: str) -> str:
    """A file-name-safe form of ``name`` (upstream names may hold any character)."""
    clean = re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("._") or "upstream"
    if clean != name:
        clean = f"{clean[:60]}-{hashlib.blake2b(name.encode(), digest_size=3).hexdigest()}"
    return clean


def git_commit() -> str | None:
    """The commit of the superb source tree, with ``-dirty`` when it has local changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}{'-dirty' if dirty else ''}" if commit else None


def provenance() -> dict[str, Any]:
    """Versions, commit, machine and time of this run."""
    from benchmark import __version__

    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {"superb": __version__, "packages": versions, "git_commit": git_commit(),
            "python": platform.python_version(), "platform": platform.platform(),
            "command": " ".join(sys.argv),
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def write_json_atomic(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename)."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()),
                 "free disk space, then rerun the same command (training resumes from its checkpoint)")


def read_result(path: Path) -> dict[str, Any] | None:
    """A finished run's result, or ``None`` if there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema_version") == SCHEMA_VERSION else None
