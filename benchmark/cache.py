"""The feature cache: every utterance goes through the frozen upstream once.

Layout (``--cache-dir``, else ``$SUPERB_CACHE_DIR``, else ``~/.cache/superb/features``)::

    v1/<upstream identity>/            name + hash of the upstream's class, config, weights
        .lock                          held while a run looks up and extracts
        shard-<id>/                    immutable once renamed into place
            meta.json                  keys, frame counts, shapes, checksums (written last)
            pooled.npy                 float32 (utterances, layers, dim): per-layer means over valid frames
            frames.npy                 float16 (total frames, layers, dim): all layers (optional)

A key names the audio by content: ``<blake2b of the file's bytes>:<start>:<end>``
(segment in samples at 16 kHz), so renaming or moving a corpus keeps its cache and
editing a file invalidates just that file. A shard is written under a temporary
name, fsynced and renamed, so a killed run never leaves a shard that looks complete;
each array's checksum is verified when it is read, and a corrupted shard is removed
(its utterances are extracted again). ``pooled.npy`` is kilobytes per utterance, so
a corpus too large to cache frame by frame (``--no-frame-cache``) still caches it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.errors import UserError

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$SUPERB_CACHE_DIR`` or ``~/.cache/superb/features``."""
    env = os.environ.get("SUPERB_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "superb" / "features"


def content_hash(data: bytes) -> str:
    """Hex digest naming a file's content."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def utterance_key(file_hash: str, start: int, end: int | None) -> str:
    """Cache key of a segment (samples at 16 kHz) of a file with content hash ``file_hash``."""
    return f"{file_hash}:{start}:{'' if end is None else end}"


def _file_checksum(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _write_npy(path: Path, array: np.ndarray) -> str:
    """Save ``array`` as ``.npy``, fsync it, and return the checksum of the bytes written."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    data = buffer.getbuffer()
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Location:
    shard: Path
    row: int  # index of the utterance in the shard
    frame_offset: int  # first row of its frames in frames.npy
    frames: int  # valid frames


class FeatureCache:
    """Cached features of one upstream.

    Args:
        root: cache directory (see module docstring).
        upstream_id: the upstream's :meth:`~upstreams.base.Upstream.identity`.
    """

    def __init__(self, root: Path, upstream_id: str):
        self.dir = Path(root) / f"v{CACHE_FORMAT}" / upstream_id
        self.warnings: list[str] = []

    @contextlib.contextmanager
    def lock(self):
        """Exclusive lock on this upstream's cache (other runs wait); removes stale temporaries."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UserError(f"{self.dir}: cannot create the feature cache ({err.strerror}); "
                            f"choose another place with --cache-dir or SUPERB_CACHE_DIR") from None
        with open(self.dir / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                for stale in self.dir.glob(".tmp-*"):  # left by a killed writer: we hold the lock
                    shutil.rmtree(stale, ignore_errors=True)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def shards(self) -> list[Path]:
        return sorted(p for p in self.dir.glob("shard-*") if (p / "meta.json").exists())

    def _meta(self, shard: Path) -> dict | None:
        try:
            meta = json.loads((shard / "meta.json").read_text())
            if meta.get("format") != CACHE_FORMAT:
                return None
            return meta
        except (OSError, ValueError):
            return None

    def index(self) -> dict[str, Location]:
        """Key to location, over every complete shard (first one wins)."""
        found: dict[str, Location] = {}
        for shard in self.shards():
            meta = self._meta(shard)
            if meta is None:
                self._discard(shard, "its meta.json is unreadable")
                continue
            offsets = np.concatenate([[0], np.cumsum(meta["frames"])[:-1]]).astype(int)
            for row, (key, count, offset) in enumerate(zip(meta["keys"], meta["frames"], offsets)):
                found.setdefault(key, Location(shard, row, int(offset), int(count)))
        return found

    def has_frames(self, shard: Path) -> bool:
        return (shard / "frames.npy").exists()

    def _discard(self, shard: Path, why: str) -> None:
        message = f"feature cache: shard {shard} is corrupted ({why}); removed, its utterances will be extracted again"
        self.warnings.append(message)
        shutil.rmtree(shard, ignore_errors=True)

    def read(self, shard: Path, name: str) -> np.ndarray | None:
        """Load ``pooled.npy`` or ``frames.npy`` (memory-mapped) after checking its checksum.

        Returns ``None`` (and removes the shard) when the file is corrupted.
        """
        meta = self._meta(shard)
        path = shard / name
        if meta is None or not path.exists() or _file_checksum(path) != meta["checksums"].get(name):
            self._discard(shard, f"{name} does not match its checksum")
            return None
        try:
            return np.load(path, mmap_mode="r")
        except (OSError, ValueError):
            self._discard(shard, f"{name} is unreadable")
            return None

    def write_shard(self, keys: list[str], counts: list[int], pooled: np.ndarray,
                    frames: np.ndarray | None) -> Path:
        """Store one shard atomically.

        Args:
            keys: one cache key per utterance.
            counts: valid frames per utterance.
            pooled: ``(utterances, layers, dim)`` float32 per-layer means over valid frames.
            frames: ``(sum(counts), layers, dim)`` float16, the utterances' frames back to
                back, or ``None`` to store only the means.
        """
        tmp = self.dir / f".tmp-{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            checksums = {"pooled.npy": _write_npy(tmp / "pooled.npy", np.asarray(pooled, dtype=np.float32))}
            if frames is not None:
                checksums["frames.npy"] = _write_npy(tmp / "frames.npy", np.asarray(frames, dtype=np.float16))
            meta = {"format": CACHE_FORMAT, "keys": keys, "frames": [int(c) for c in counts],
                    "num_layers": int(pooled.shape[1]), "dim": int(pooled.shape[2]), "checksums": checksums}
            with open(tmp / "meta.json", "w") as f:
                f.write(json.dumps(meta))
                f.flush()
                os.fsync(f.fileno())
            final = self.dir / f"shard-{uuid.uuid4().hex[:16]}"
            os.rename(tmp, final)
            dir_fd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            return final
        except OSError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise UserError(f"{self.dir}: cannot write the feature cache ({err.strerror}); free disk space or "
                            f"choose another --cache-dir, then rerun the same command (finished shards are kept)") from None


@dataclass(frozen=True)
class CacheEntry:
    """One upstream's cached features, for ``superb cache info``."""

    upstream_id: str
    utterances: int
    shards: int
    bytes: int
    path: Path


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def cache_entries(root: Path) -> list[CacheEntry]:
    """Every upstream with cached features under ``root``."""
    entries = []
    for upstream_dir in sorted((Path(root) / f"v{CACHE_FORMAT}").glob("*")):
        cache = FeatureCache(root, upstream_dir.name)
        shards = cache.shards()
        count = sum(len((cache._meta(s) or {}).get("keys", [])) for s in shards)
        entries.append(CacheEntry(upstream_dir.name, count, len(shards), directory_size(upstream_dir), upstream_dir))
    return entries


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover
