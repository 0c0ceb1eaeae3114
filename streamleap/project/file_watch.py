"""Whether a project's files changed since the last look, at a cost that does not grow with them.

`streamleap run` asks this every cycle (a project file changed: parse it again). Walking the
files' modification times costs O(files) every cycle (about 1,000 entries for a 500-model
project, most of an idle cycle's time); on Linux the kernel tells instead: inotify watches every
folder of the watched paths, and a look is one non-blocking read, whatever the number of files.
Elsewhere, or when inotify cannot be had (no free instance or watch), the walk is the answer.

What counts as a change: a file or folder created, written, truncated, renamed, removed or
touched under a watched folder, or a watched name of the root (dbt_project.yml, models/, ...)
created, written, renamed or removed; the root's other entries (the DuckDB file, target/, logs/)
do not count. Folders are not followed through symbolic links (neither does the walk).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path

# <sys/inotify.h>
_IN_MODIFY, _IN_ATTRIB, _IN_CLOSE_WRITE = 0x2, 0x4, 0x8
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF = 0x400, 0x800
_IN_Q_OVERFLOW = 0x4000
_IN_DONT_FOLLOW, _IN_ONLYDIR = 0x02000000, 0x01000000
_IN_NONBLOCK, _IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
_MASK = (_IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE
         | _IN_DELETE | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_DONT_FOLLOW | _IN_ONLYDIR)
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name

_libc = None


def _inotify():
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            try:
                lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
                lib.inotify_init1.argtypes = [ctypes.c_int]
                lib.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
                _libc = lib
            except (OSError, AttributeError):
                _libc = False
    return _libc or None


def _folders(root: Path, names: tuple[str, ...], each: Callable[[os.DirEntry], None] | None = None) -> list[str]:
    """Every folder under root's watched names, not through links; each(entry) for every entry met."""
    out: list[str] = []
    todo = [str(root / n) for n in names if (root / n).is_dir() and not (root / n).is_symlink()]
    while todo:
        path = todo.pop()
        out.append(path)
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    if each is not None:
                        each(entry)
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
        except OSError:
            continue
    return out


def stamp(root: Path, names: tuple[str, ...]) -> float:
    """The newest modification time of root's watched names and of everything under them (a file
    removed or renamed changes its folder's). O(files): the answer where inotify is missing."""
    times = [0.0]

    def note(path: os.DirEntry | Path) -> None:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            pass  # gone meanwhile: its folder's time says so

    for name in names:
        note(root / name)
    _folders(root, names, note)
    return max(times)


class ProjectWatch:
    """changed(): whether root's watched names changed since the last rearm(). Call rearm() just
    before reading the files (a change while they are read is then seen by the next look)."""

    def __init__(self, root: Path, names: tuple[str, ...]):
        self.root, self.names = Path(root), tuple(names)
        self._fd: int | None = None
        self._root_wd: int | None = None
        self._stamp: float | None = None
        self.kernel = False  # whether inotify answers (else: the walk)

    def rearm(self) -> None:
        self.close()
        if self._watch():
            self.kernel = True
            return
        self.kernel = False
        self._stamp = stamp(self.root, self.names)

    def _watch(self) -> bool:
        lib = _inotify()
        if lib is None:
            return False
        fd = lib.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            return False  # EMFILE: no free instance; the walk will do
        try:
            root_wd = lib.inotify_add_watch(fd, os.fsencode(str(self.root)), _MASK)
            if root_wd < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch")
            for folder in _folders(self.root, self.names):
                if lib.inotify_add_watch(fd, os.fsencode(folder), _MASK) < 0:
                    err = ctypes.get_errno()
                    if err in (errno.ENOENT, errno.ENOTDIR):
                        continue  # gone meanwhile: its parent's watch saw that
                    raise OSError(err, "inotify_add_watch")  # ENOSPC: out of watches
        except OSError:
            os.close(fd)
            return False
        self._fd, self._root_wd = fd, root_wd
        return True

    def changed(self) -> bool:
        if self._fd is None:
            if self._stamp is None:
                return True  # never armed
            return stamp(self.root, self.names) != self._stamp
        seen = False
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return seen
            except OSError:
                return True
            if not data:
                return seen
            at = 0
            while at + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size: at + _EVENT.size + length].split(b"\0", 1)[0]
                at += _EVENT.size + length
                if mask & _IN_Q_OVERFLOW or (wd == self._root_wd and mask & (_IN_DELETE_SELF | _IN_MOVE_SELF)):
                    seen = True
                elif wd == self._root_wd:
                    seen = seen or os.fsdecode(name) in self.names
                else:
                    seen = True  # anything under a watched folder (IN_IGNORED: the folder went)

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            finally:
                self._fd = self._root_wd = None

    def __del__(self) -> None:
        self.close()
