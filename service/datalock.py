"""One writer per data dir: an advisory lock held by the process that owns the index.

The owner also writes who it is (role, pid, host, port) next to the lock, so that a
``newsdesk ingest`` started while a server owns the folder can send its articles there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from filelock import FileLock, Timeout

from index.errors import NewsdeskError


class DataDirBusy(NewsdeskError):
    """Another process owns the data dir."""

    code = "data_dir_busy"

    def __init__(self, message: str, owner: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.owner = owner or {}


def lock_path(data_dir: Path) -> Path:
    """The advisory lock file of a data dir."""
    return data_dir / "newsdesk.lock"


def owner_path(data_dir: Path) -> Path:
    """The JSON file naming the lock's current holder."""
    return data_dir / "newsdesk.owner.json"


def acquire(data_dir: Path, *, role: str, host: str = "", port: int = 0) -> FileLock:
    """Take the data dir's lock at once or raise DataDirBusy naming the owner.

    The lock is released when the returned object is released or the process ends (even by
    SIGKILL: the operating system drops the lock with the file descriptor).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(data_dir)), timeout=0, is_singleton=False)
    try:
        lock.acquire()
    except Timeout as exc:
        owner = read_owner(data_dir)
        if owner:
            who = f"a newsdesk {owner.get('role', 'process')} (pid {owner.get('pid', '?')})"
            if owner.get("role") == "server":
                who += f" serving http://{owner.get('host')}:{owner.get('port')}"
        else:
            who = "another process"
        raise DataDirBusy(f"{data_dir} is in use by {who}", owner) from exc
    tmp = owner_path(data_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps({"role": role, "pid": os.getpid(), "host": host, "port": port}))
    tmp.replace(owner_path(data_dir))  # atomic: a reader never sees half a file
    return lock


def read_owner(data_dir: Path) -> dict[str, object]:
    """Who last took the lock (role, pid, host, port), or {}."""
    try:
        return dict(json.loads(owner_path(data_dir).read_text()))
    except (OSError, ValueError):
        return {}


def server_url(owner: dict[str, object]) -> str | None:
    """Base URL of the server that owns a data dir (None if the owner is not a server)."""
    if owner.get("role") != "server" or not owner.get("port"):
        return None
    host = str(owner.get("host") or "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):  # bound to every interface: loopback reaches it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{owner['port']}"
