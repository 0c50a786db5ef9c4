"""Read-only access to a built registry file, and what the writer and the readers share.

``store`` writes a registry; everything that reads one opens it here, read-only, as
Datasette keeps its ``database`` apart from the app that serves it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from youcheng.errors import StoreError

# 2: partnerships.tier and .extra; counts by tier; 3: place_names keyed by search_key, places.partnerships;
# 4: relationships; 5: name_grams.rank
SCHEMA_VERSION = "5"
_MMAP_BYTES = 1 << 32  # address space only: pages are read on demand, shared with the OS cache


def name_grams(key: str) -> set[str]:
    """Every 1- and 2-character substring of a name key (see schema.sql name_grams)."""
    return set(key) | {key[i:i + 2] for i in range(len(key) - 1)}


class RegistryConnection(sqlite3.Connection):
    """A connection to a built registry: a plain one, except that it can be weakly referenced,
    so the read layer can remember what the file's schema holds for as long as it is open."""


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open a registry read-only; the served database is never written.

    Opened ``immutable``: a registry file never changes once built (a rebuild
    renames a new file over it, and open connections keep the old one), so
    SQLite can skip its file locks and change checks on every query. Memory-
    mapped, so reading a page is a memory access rather than a system call.
    """
    if not path.is_file():
        raise StoreError(f"no registry at {path}: run 'youcheng build' (or pass --db) first")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True,
                               check_same_thread=False, factory=RegistryConnection)
        conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a youcheng registry: {exc}") from exc
    if version is None or version[0] != SCHEMA_VERSION:
        conn.close()
        raise StoreError(f"{path} was built by another youcheng version: rebuild it with 'youcheng build'")
    conn.row_factory = sqlite3.Row
    return conn
