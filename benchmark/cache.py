"""The feature cache: every utterance goes through the frozen upstream once.

Layout (``--cache-dir``, else ``$SUPERB_CACHE_DIR``, else ``~/.cache/superb/features``)::

    v1/<upstream identity>/            name + hash of the upstream's class, config, weights
        .lock                          held while a run looks up and extracts
        shard-<id>/                    immutable once renamed into place
            meta.json                  keys, frame counts, shapes, checksums (written last)
            pooled.npy                 float32 (utterances, layers, dim): per-layer means over valid frames (summed in float64)
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
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.atomic import atomic_write
from benchmark.errors import UserError

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    """``$SUPERB_CACHE_DIR`` or ``~/.cache/superb/features``."""
    env = os.environ.get("SUPERB_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "superb" / "features"


def content_hash(data: bytes) -> str:
    """Hex digest naming a file's content."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def utterance_key(file_hash: str, start: int, end: int | None, gain_db: float = 0.0) -> str:
    """Cache key of a segment (samples at 16 kHz) of a file with content hash ``file_hash``,
    at a level changed by ``gain_db`` (the key ends in ``:<gain>dB`` when it is not 0)."""
    return f"{file_hash}:{start}:{'' if end is None else end}" + (f":{gain_db:g}dB" if gain_db else "")


def _write_npy(path: Path, parts: list[np.ndarray], dtype: type) -> str:
    """Save the row-wise concatenation of ``parts`` as one ``.npy`` file, fsync it, and
    return the checksum of the bytes written.

    The parts are written one after the other (never concatenated in memory).
    """
    parts = [np.ascontiguousarray(part, dtype=dtype) for part in parts]
    shape = (sum(len(part) for part in parts), *parts[0].shape[1:])
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                  "fortran_order": False, "shape": shape})
    digest = hashlib.blake2b(header.getvalue(), digest_size=16)
    with open(path, "wb") as f:
        f.write(header.getvalue())
        for part in parts:
            data = memoryview(part).cast("B")
            digest.update(data)
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return digest.hexdigest()


def _read_npy(path: Path, checksum: str | None) -> np.ndarray | None:
    """Read a ``.npy`` file in one pass into memory; ``None`` if its bytes do not match ``checksum``.

    Raises:
        OSError, ValueError: unreadable file or not a C-order ``.npy`` array.
    """
    with open(path, "rb") as f:
        data = np.empty(os.fstat(f.fileno()).st_size, dtype=np.uint8)
        view, filled = memoryview(data), 0
        while filled < len(data) and (count := f.readinto(view[filled:])):
            filled += count
    if hashlib.blake2b(data, digest_size=16).hexdigest() != checksum:
        return None
    header = io.BytesIO(data[:1 << 16].tobytes())
    version = np.lib.format.read_magic(header)
    read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in read_header:
        raise ValueError(f"unsupported .npy version {version}")
    shape, fortran_order, dtype = read_header[version](header)
    if fortran_order:
        raise ValueError("Fortran-order array")
    return data[header.tell():].view(dtype).reshape(shape)


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
        """Load ``pooled.npy`` or ``frames.npy`` into memory, checking its checksum on the way.

        Returns ``None`` (and removes the shard) when the file is corrupted.
        """
        meta = self._meta(shard)
        path = shard / name
        try:
            array = _read_npy(path, meta["checksums"].get(name)) if meta is not None else None
        except (OSError, ValueError):
            array = None
        if array is None:
            self._discard(shard, f"{name} is missing, unreadable or does not match its checksum")
        return array

    def write_shard(self, keys: list[str], counts: list[int], pooled: list[np.ndarray],
                    frames: list[np.ndarray] | None) -> Path:
        """Store one shard atomically.

        Args:
            keys: one cache key per utterance.
            counts: valid frames per utterance.
            pooled: per utterance, ``(layers, dim)`` per-layer means over its valid frames
                (stored as float32).
            frames: per utterance, ``(frames, layers, dim)`` (stored back to back as
                float16), or ``None`` to store only the means.
        """
        tmp = self.dir / f".tmp-{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            checksums = {"pooled.npy": _write_npy(tmp / "pooled.npy", [p[None] for p in pooled], np.float32)}
            if frames is not None:
                checksums["frames.npy"] = _write_npy(tmp / "frames.npy", frames, np.float16)
            meta = {"format": CACHE_FORMAT, "keys": keys,
                    "frames": [int(c) for c in counts],
                    "num_layers": int(pooled[0].shape[0]), "dim": int(pooled[0].shape[1]), "checksums": checksums}
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


class FileHashes:
    """Content hashes of audio files, remembered by each file's stat so that an
    unchanged file is not read again (as git's index does).

    A file is re-read and re-hashed when its size, modification time, change time or
    inode differ from those remembered. Hashes of files changed in the last
    :data:`RACY_SECONDS` are not remembered: a second write within the filesystem's
    timestamp granularity could otherwise go unnoticed. Kept in
    ``<cache root>/v1/file-hashes.json``; losing it only costs re-reading the audio.

    Args:
        root: the cache root, or ``None`` to remember nothing.
    """

    RACY_SECONDS = 2

    def __init__(self, root: Path | None):
        self.path = Path(root) / f"v{CACHE_FORMAT}" / "file-hashes.json" if root is not None else None
        self.known: dict[str, list] = {}
        self.changed = False
        if self.path is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):  # unreadable: start afresh
                self.known = dict(json.loads(self.path.read_text()))

    def hash(self, path: str | Path) -> str:
        """The :func:`content_hash` of the file at ``path`` (raises ``OSError`` if unreadable)."""
        name = os.path.abspath(path)
        st = os.stat(name)
        signature = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = self.known.get(name)
        if isinstance(entry, list) and len(entry) == 5 and entry[:4] == signature and isinstance(entry[4], str):
            return entry[4]
        with open(name, "rb") as f:
            digest = content_hash(f.read())
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > self.RACY_SECONDS * 10**9:
            self.known[name] = [*signature, digest]
            self.changed = True
        return digest

    def save(self) -> None:
        """Write what was learnt (best effort: a failure only costs re-reading next time)."""
        if self.path is None or not self.changed:
            return
        data = json.dumps(self.known).encode()
        with contextlib.suppress(OSError, UserError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, lambda f: f.write(data), "")
        self.changed = False


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
    for upstream_dir in sorted(p for p in (Path(root) / f"v{CACHE_FORMAT}").glob("*") if p.is_dir()):
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
