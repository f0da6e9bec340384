"""Atomic outputs and the build lock.

Every output is written to a temp file beside its final path (``.<name>.tmp-<pid>``), flushed
to disk, and ``os.replace``d into place only when the whole build has passed its parity check.
A killed build leaves temp files behind, never a half-written output; the next build under
the lock removes them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from pathlib import Path

from semicon.build.errors import BuildError, BuildLocked

LOCK_NAME = ".semicon-build.lock"
TEMP_MARK = ".tmp-"


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems do not fsync directories
    finally:
        os.close(fd)


def describe_os_error(exc: OSError, what: str) -> str:
    """A one-line message for an I/O failure, naming the cause people can act on."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on device while {what}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied while {what}: {exc.filename or ''}".rstrip(": ")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and "creating" in what:
        return f"cannot create {exc.filename or 'the output folder'}: a file is in the way"
    return f"{what} failed: {exc.strerror or exc}"


def ensure_dir(path: Path) -> None:
    """Create the output folder (and parents) or raise a clear BuildError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(describe_os_error(exc, f"creating the output folder {path}")) from None
    if not path.is_dir():
        raise BuildError(f"cannot create the output folder {path}: a file is in the way")
    if not os.access(path, os.W_OK | os.X_OK):
        raise BuildError(f"the output folder {path} is not writable")


class BuildLock:
    """An exclusive ``flock`` on ``<out>/.semicon-build.lock`` (released when the process dies)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as exc:
            what = f"creating the lock file {self.path}"
            raise BuildError(describe_os_error(exc, what)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = ""
            with contextlib.suppress(OSError):
                holder = self.path.read_text().strip()
            who = f" (process {holder})" if holder else ""
            raise BuildLocked(
                f"another build is writing to {self.path.parent}{who}; "
                "wait for it to finish and run the build again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def remove_stale_temps(*dirs: Path) -> None:
    """Remove temp files and folders left by killed builds (call with the lock held)."""
    for d in dirs:
        if not d.is_dir():
            continue
        for p in d.glob(f".*{TEMP_MARK}*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


class TempOutputs:
    """Temp paths for outputs; ``commit`` moves them into place, ``discard`` removes them."""

    def __init__(self) -> None:
        self.pending: dict[Path, Path] = {}  # final -> temp
        self.extra: list[Path] = []  # side files and folders (WAL, spill folder)

    def temp_for(self, final: Path) -> Path:
        temp = final.with_name(f".{final.name}{TEMP_MARK}{os.getpid()}")
        temp.unlink(missing_ok=True)
        self.pending[final] = temp
        return temp

    def temp_dir(self, parent: Path, name: str) -> Path:
        d = parent / f".{name}{TEMP_MARK}{os.getpid()}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        self.extra.append(d)
        return d

    def flush(self) -> None:
        """fsync every temp file (raises before anything is replaced when the disk is full)."""
        for temp in self.pending.values():
            fsync_file(temp)
        self._flushed = True

    def commit(self) -> None:
        """Rename each temp file over its final path (after ``flush``), then fsync folders."""
        if not getattr(self, "_flushed", False):
            self.flush()
        folders = set()
        for final, temp in list(self.pending.items()):
            os.replace(temp, final)
            folders.add(final.parent)
            del self.pending[final]
        for folder in sorted(folders):
            fsync_dir(folder)

    def discard(self) -> None:
        for temp in self.pending.values():
            for p in (temp, temp.with_name(temp.name + ".wal")):
                with contextlib.suppress(OSError):
                    p.unlink(missing_ok=True)
        self.pending.clear()
        for d in self.extra:
            shutil.rmtree(d, ignore_errors=True)
        self.extra.clear()


def write_text_atomic(path: Path, text: str) -> None:
    """Write a small text file via temp file + fsync + rename."""
    temp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}")
    try:
        with open(temp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
