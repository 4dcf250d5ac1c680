"""Machine code kept on disk between processes, for the shared runtime only.

The runtime (runtime.py) is the same IR in every process, and making its machine code was most
of the first tier-1 compile of a process (optimising and emitting it, about 16 of 25 ms on a
quiet machine). So its object file is kept in a cache directory, named by a hash of everything
that decides its bytes: the IR text, the passes run on it, LLVM's version, the target and the
host CPU. A later process that builds the same IR loads the object instead of making it.

Only the runtime is cached: a tier-1 or tier-2 unit embeds this process's object addresses, so
its machine code is good for this process alone.

The directory is `$TIERJIT_CACHE_DIR` if set (empty: no cache), else `$XDG_CACHE_HOME/tierjit`
or `~/.cache/tierjit`. A directory that cannot be written, or a file that is damaged (its bytes
do not match the checksum it was written with), costs the compile it would have saved and
nothing else: the object is made as if there were no cache.
"""
from __future__ import annotations

import hashlib
import os
import tempfile

MAGIC = b"tierjit object v1\n"


def directory() -> str | None:
    """Where objects are kept, or None when the cache is turned off."""
    configured = os.environ.get("TIERJIT_CACHE_DIR")
    if configured is not None:
        return configured.strip() or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tierjit")


def key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _path(name: str, digest: str) -> str | None:
    where = directory()
    return None if where is None else os.path.join(where, f"{name}-{digest[:40]}.o")


def load(name: str, digest: str) -> bytes | None:
    """The object stored under `name` and `digest`, or None (none stored, unreadable, damaged)."""
    path = _path(name, digest)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    header = len(MAGIC) + 65          # the magic line, then the object's sha256 in hex and "\n"
    if not data.startswith(MAGIC) or len(data) <= header:
        return None
    checksum, body = data[len(MAGIC):header - 1], data[header:]
    if hashlib.sha256(body).hexdigest().encode() != checksum:
        return None
    return body


def store(name: str, digest: str, obj: bytes) -> bool:
    """Keep `obj` for later processes; False if it could not be written (then nothing is)."""
    path = _path(name, digest)
    if path is None:
        return False
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # written whole under a temporary name, then renamed: a reader never sees half a file,
        # and two processes storing the same object at once both leave a whole one
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + hashlib.sha256(obj).hexdigest().encode() + b"\n" + obj)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True
