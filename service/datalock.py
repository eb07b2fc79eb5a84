"""One writer per data dir: an advisory lock held by the process that owns the index."""

from __future__ import annotations

import json
import os
from pathlib import Path

from filelock import FileLock, Timeout

from index.errors import NewsdeskError


class DataDirBusy(NewsdeskError):
    """Another process owns the data dir."""

    code = "data_dir_busy"


def lock_path(data_dir: Path) -> Path:
    return data_dir / "newsdesk.lock"


def owner_path(data_dir: Path) -> Path:
    return data_dir / "newsdesk.owner.json"


def acquire(data_dir: Path, *, role: str, host: str = "", port: int = 0) -> FileLock:
    """Take the data dir's lock at once or raise DataDirBusy naming the owner."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(data_dir)), timeout=0, is_singleton=False)
    try:
        lock.acquire()
    except Timeout as exc:
        owner = read_owner(data_dir)
        who = f"a newsdesk {owner.get('role', 'process')} (pid {owner.get('pid', '?')})" if owner else "another process"
        raise DataDirBusy(f"{data_dir} is in use by {who}") from exc
    owner_path(data_dir).write_text(json.dumps({"role": role, "pid": os.getpid(), "host": host, "port": port}))
    return lock


def read_owner(data_dir: Path) -> dict[str, object]:
    """Who last took the lock (role, pid, host, port), or {}."""
    try:
        return dict(json.loads(owner_path(data_dir).read_text()))
    except (OSError, ValueError):
        return {}
