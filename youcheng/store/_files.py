"""The files of a build: claimed under a lock next to the target, cleaned up after builds
that were killed, written without a journal and synced once done (``store`` uses them for
the registry's temporary file and for its side file)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.platform != "win32":
    import fcntl

# A file being built is not yet anyone's registry: no journal, no syncing until it is done.
# Sorts for the indexes spill to temporary files (the OS's cache, not the build's memory):
# in memory they held a million-row build's peak at 994 MiB, on file 944 MiB, no slower.
# 32 MiB of cache for each of the two connections (the build's and the side file's), whose
# sorts run at the same time at the end of a build.
WRITE_PRAGMAS = ("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
                  "PRAGMA cache_size=-32768;")


def claim_temporary(path: Path) -> tuple[Path, int]:
    """Create this build's temporary file next to ``path``, locked while the build runs.

    Returns the file and the descriptor holding the lock. Retries when another
    build's clean-up removed the file between its creation and its locking.
    """
    import tempfile

    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".building", dir=path.parent)
        if sys.platform == "win32":
            return Path(tmp), fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(tmp, fd):
            return Path(tmp), fd
        os.close(fd)


def remove_dead_builds(path: Path) -> None:
    """Delete the temporary files of builds of ``path`` that were killed.

    A file whose lock can be taken belongs to no running build: the system
    drops a build's lock when its process dies, even by kill -9.
    """
    import glob

    if sys.platform == "win32":
        return
    for stale in path.parent.glob(glob.escape(f".{path.name}.") + "*.building"):
        try:
            fd = os.open(stale, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(stale, fd):
                stale.unlink()
        except OSError:
            pass  # locked by a running build, or already gone
        finally:
            os.close(fd)


def _same_file(path: Path | str, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


def fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
