"""Input and output safety: strings that can always be written, unique ids, folder walking that
loses nothing, refusing inputs that would hang a run, and a lock on the output folder.

Everything that can go wrong with one file becomes a row (an `InputFile` of kind "error", read
as one rejected row); what makes the whole run impossible is an `InputError`/`OutputError`
raised before any work starts.
"""

from __future__ import annotations

import os
import re
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.errors import InputError, OutputError
from pipeline.io.layout import RunLayout

_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_str(s: str | None) -> str | None:
    """A string that can be encoded as UTF-8: lone surrogates (JSON escapes such as "\\udfff")
    become U+FFFD. None stays None."""
    if s is None:
        return None
    if not isinstance(s, str):
        s = str(s)
    if not _SURROGATES.search(s):
        return s
    return _SURROGATES.sub("\ufffd", s)


_META_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_meta(s: str | None) -> str | None:
    """A metadata value (url, title, date) sanitised like text: writable as UTF-8 and without
    control characters (a NUL or a terminal escape in a title would garble `pipeline diff`)."""
    s = clean_str(s)
    if s is None or not _META_CONTROLS.search(s):
        return s
    return _META_CONTROLS.sub("", s)


def display_path(p: str | os.PathLike) -> str:
    """A path as text that can be written anywhere: bytes of a file name that are not UTF-8
    (surrogate-escaped by Python) are shown as `\\xe9`, so two such names stay distinct."""
    from pipeline.io.storage import text

    s = text(p)
    if not _SURROGATES.search(s):
        return s
    try:
        return os.fsencode(s).decode("utf-8", "backslashreplace")
    except UnicodeError:
        return clean_str(s) or ""


def sanitize_record(rec):
    """A RawDocument or ReadFailure whose string fields (id, source, url, title, date, reason)
    are all writable as UTF-8. The document body is left alone (decode handles it)."""
    from pipeline.core.document import RawDocument

    if isinstance(rec, RawDocument):
        fields = {
            "id": display_path(rec.id) if _SURROGATES.search(rec.id) else rec.id,
            "source": display_path(rec.source),
            "url": clean_meta(rec.url),
            "title": clean_meta(rec.title),
            "date": clean_meta(rec.date),
            "charset_hint": clean_str(rec.charset_hint),
        }
        if all(getattr(rec, k) == v for k, v in fields.items()):
            return rec
        return RawDocument(**{**{s: getattr(rec, s) for s in rec.__slots__}, **fields})
    clean = (display_path(rec.id), display_path(rec.source), clean_str(rec.reason))
    if clean == (rec.id, rec.source, rec.reason):
        return rec
    return type(rec)(*clean)


class UniqueIds:
    """The run-wide id rule: a repeated id gets '#2', '#3'..., and a generated suffix never
    collides with an id that is really in the input (`x`, `x`, `x#2` gives `x`, `x#2`, `x#2#2`).
    Fed the ids in input order; one instance per run (both engines use it)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_n: dict[str, int] = {}

    def assign(self, rec_id: str) -> str:
        """The id this record gets, given every id assigned before it."""
        if rec_id in self.taken:
            n = self.next_n.get(rec_id, 2)
            while f"{rec_id}#{n}" in self.taken:
                n += 1
            self.next_n[rec_id] = n + 1
            rec_id = f"{rec_id}#{n}"
        self.taken.add(rec_id)
        return rec_id


def with_id(rec, new_id: str):
    """A RawDocument or ReadFailure with another id."""
    from pipeline.core.document import RawDocument

    if isinstance(rec, RawDocument):
        return RawDocument(**{**{s: getattr(rec, s) for s in rec.__slots__}, "id": new_id})
    return type(rec)(new_id, rec.source, rec.reason)


def unique_ids(records: Iterable) -> Iterator:
    """Records with ids made unique over the whole run (`UniqueIds`)."""
    ids = UniqueIds()
    for rec in records:
        new_id = ids.assign(rec.id)
        yield rec if new_id == rec.id else with_id(rec, new_id)


# ---------------------------------------------------------------------------------------------
# Walking input folders


def special_kind(mode: int) -> str | None:
    """'fifo', 'socket', 'device' for files that would block or never end when read."""
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return None


def check_input_arg(p: Path) -> None:
    """Refuse, before any work, an input argument that is missing, unreadable, or a FIFO,
    socket or device (opening a FIFO blocks forever; /dev/zero never ends)."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"{display_path(p)}: no such file or folder") from None
    except OSError as exc:
        raise InputError(f"{display_path(p)}: cannot read ({exc.strerror})") from None
    kind = special_kind(st.st_mode)
    if kind:
        raise InputError(f"{display_path(p)}: is a {kind}, not a file or folder; give a regular file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{display_path(p)}: permission denied")


def walk_files(root: Path) -> Iterator[tuple[Path, str | None]]:
    """(path, problem) for every non-hidden entry below `root`, sorted, following symlinks to
    folders once (a link back into an enclosing folder is reported, not followed). `problem` is
    None for a regular file, else why it cannot be read (unreadable folder, FIFO, broken link,
    symlink loop): the caller turns it into one rejected row, so nothing disappears silently."""
    try:
        root_st = os.stat(root)
    except OSError:
        return
    yield from _walk(root, ((root_st.st_dev, root_st.st_ino),))


def _walk(folder: Path, ancestors: tuple[tuple[int, int], ...]) -> Iterator[tuple[Path, str | None]]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield folder, f"read:cannot read folder ({exc.strerror or type(exc).__name__})"
        return
    for e in entries:
        if e.name.startswith("."):
            continue
        path = Path(e.path)
        try:
            st = os.stat(path)  # follows symlinks
        except OSError as exc:
            what = "broken symlink" if e.is_symlink() else "cannot stat"
            yield path, f"read:{what} ({exc.strerror or type(exc).__name__})"
            continue
        if stat.S_ISDIR(st.st_mode):
            ident = (st.st_dev, st.st_ino)
            if ident in ancestors:
                yield path, "read:symlink loop (links to an enclosing folder), not followed"
                continue
            yield from _walk(path, ancestors + (ident,))
        elif stat.S_ISREG(st.st_mode):
            yield path, None
        else:
            yield path, f"read:not a regular file ({special_kind(st.st_mode) or 'special file'}), not opened"


# ---------------------------------------------------------------------------------------------
# The output folder


def check_out_vs_inputs(out: Path, inputs: Iterable[str | os.PathLike]) -> None:
    """Refuse an OUT inside an input folder (the run would read its own output, and --overwrite
    would delete results that are also inputs) and an input inside OUT."""
    from pipeline.io.storage import is_remote, is_url

    if is_remote(out) or any(is_url(str(a)) or is_remote(a) for a in inputs):
        return _check_urls(out, inputs)
    o = Path(os.path.realpath(out))
    for arg in inputs:
        i = Path(os.path.realpath(arg))
        if o == i or i in o.parents:
            raise OutputError(
                f"{display_path(out)}: output folder is inside the input {display_path(arg)}; choose an --out outside it"
            )
        if o in i.parents:
            raise OutputError(
                f"{display_path(arg)}: input is inside the output folder {display_path(out)}; choose another --out"
            )


def _check_urls(out, inputs: Iterable) -> None:
    """check_out_vs_inputs where a URL is involved: by the URLs' text (no symlinks there)."""
    from pipeline.io.storage import text

    o = text(out).rstrip("/")
    for arg in inputs:
        i = text(arg).rstrip("/")
        if o == i or o.startswith(i + "/"):
            raise OutputError(f"{o}: output folder is inside the input {i}; choose an --out outside it")
        if i.startswith(o + "/"):
            raise OutputError(f"{i}: input is inside the output folder {o}; choose another --out")


class OutLock:
    """An exclusive lock on OUT for the whole run, so two runs never write into one OUT.

    Local OUT: filelock, an OS lock released when the process dies, even by kill -9. OUT on an
    fsspec filesystem: `RemoteOutLock`, a lock object created only if absent."""

    def __new__(cls, layout: RunLayout):
        from pipeline.io.storage import is_remote

        if cls is OutLock and is_remote(layout.out):
            return RemoteOutLock(layout)
        return super().__new__(cls)

    def __init__(self, layout: RunLayout) -> None:
        self.out, self.path = layout.out, layout.lock
        self._lock = None

    def __enter__(self) -> "OutLock":
        from filelock import FileLock, Timeout

        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{display_path(self.out)}: cannot create output folder ({exc.strerror})") from None
        lock = FileLock(str(self.path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise OutputError(
                f"{display_path(self.out)}: another run is writing to this output folder; wait for it to finish or choose another --out"
            ) from None
        except OSError as exc:
            raise OutputError(f"{display_path(self.out)}: cannot lock the output folder ({exc.strerror})") from None
        self._lock = lock
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


class RemoteOutLock:
    """The OUT lock on an object store or other fsspec filesystem: the object OUT/.pipeline.lock
    (host, pid, start time), created with an exclusive create (`pipe_file(mode="create")`: S3's
    conditional put `If-None-Match: *`, O_EXCL-like on memory and local filesystems), removed at
    the end. A killed run cannot remove it: a lock left by a process of this host that no longer
    runs is taken over; one from another host is reported with its owner (delete the object if
    that run is dead). A filesystem without exclusive create falls back to check-then-put, which
    a second run starting in the same instant can race (docs: README, "Where data lives")."""

    def __init__(self, layout: RunLayout) -> None:
        self.out, self.path = layout.out, layout.lock
        self._held = False

    def __enter__(self) -> "RemoteOutLock":
        import json
        import socket
        import time

        from pipeline.io.storage import check_bucket

        check_bucket(self.out, OutputError)
        me = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}
        for _ in range(2):  # a second try after taking over a stale lock
            if self._create(json.dumps(me).encode()):
                self._held = True
                return self
            owner = self._owner()
            if owner is not None and not self._stale(owner, me["host"]):
                since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(owner.get("started", 0)))
                raise OutputError(
                    f"{self.out}: another run is writing to this output folder (host {owner.get('host')}, pid {owner.get('pid')}, "
                    f"since {since}); wait for it to finish or choose another --out (if that run is dead, delete {self.path})"
                )
            self._remove()
        raise OutputError(f"{self.out}: cannot take the lock {self.path}; another run may be starting; try again")

    def _create(self, data: bytes) -> bool:
        fs, key = self.path.fs, self.path.path
        try:
            fs.pipe_file(key, data, mode="create")
            return True
        except FileExistsError:
            return False
        except (TypeError, NotImplementedError):  # no exclusive create on this filesystem: check, then put
            if fs.exists(key):
                return False
            fs.pipe_file(key, data)
            return True
        except OSError as exc:
            if fs.exists(key):  # e.g. S3's 412 Precondition Failed, surfaced as another OSError
                return False
            raise OutputError(f"{self.out}: cannot lock the output folder ({exc})") from None

    def _owner(self) -> dict | None:
        import json

        try:
            return json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None  # released meanwhile: try again
        except ValueError:
            return {}  # not our JSON (e.g. cut): never a live run's lock we can identify

    @staticmethod
    def _stale(owner: dict, host: str) -> bool:
        """A lock of a process of this host that is gone (a killed run); unknown content too."""
        if not owner:
            return True
        if owner.get("host") != host:
            return False
        try:
            os.kill(int(owner.get("pid", 0)), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError):  # alive, owned by another user
            return False
        return False

    def _remove(self) -> None:
        try:
            self.path.fs.rm_file(self.path.path)
        except FileNotFoundError:
            pass

    def __exit__(self, *exc) -> None:
        if self._held:
            self._remove()
            self._held = False


def check_run_paths(out: Path, inputs: list, config) -> None:
    """Checks on OUT and the config's folders that must fail before any work, not after the
    whole map phase."""
    check_out_vs_inputs(out, inputs)
    tmp = getattr(getattr(config, "dedup", None), "tmp_dir", None)
    if tmp:
        t = Path(tmp)
        if not t.is_dir():
            raise OutputError(f"dedup.tmp_dir {display_path(t)}: no such folder; create it or leave the key out")
        if not os.access(t, os.W_OK | os.X_OK):
            raise OutputError(f"dedup.tmp_dir {display_path(t)}: not writable; choose a writable folder")


def size_mtime(p: Path) -> list[int]:
    """Size and mtime of an input for the --resume identity (0, 0 when it cannot be stat'ed:
    that file is a rejected row anyway). A remote file: its size and ETag or modification time."""
    from pipeline.io.storage import is_remote

    if is_remote(p):
        try:
            info = p.fs.info(p.path)
        except Exception:  # noqa: BLE001 - a rejected row anyway
            return [0, 0]
        return [int(info.get("size") or 0), str(info.get("ETag") or info.get("LastModified") or info.get("mtime") or info.get("created") or "")]
    try:
        st = os.stat(p)
    except OSError:
        return [0, 0]
    return [st.st_size, st.st_mtime_ns]


def describe_os_error(exc: OSError) -> str:
    import errno

    where = display_path(exc.filename) if exc.filename else "output"
    what = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOSPC or exc.errno == getattr(errno, "EDQUOT", -1):
        return f"{where}: disk full ({what}); free space, then rerun with --resume"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}: cannot write ({what}); make the output folder writable or choose another --out"
    return f"{where}: {what}"


@contextmanager
def operational_errors(layout: RunLayout, resume: bool) -> Iterator[None]:
    """Operational failures during a run become one OutputError line that says what to do:
    disk full, unwritable folders, and (with --resume) any corrupt or missing file in _work."""
    import json
    import pickle

    import pyarrow as pa

    try:
        yield
    except (InputError, OutputError):
        raise
    except OSError as exc:
        if resume and exc.errno not in (28,):
            raise OutputError(
                f"{display_path(layout.work)}: cannot use the interrupted run's work files ({describe_os_error(exc)}); "
                "rerun with --overwrite to start again"
            ) from None
        raise OutputError(describe_os_error(exc)) from None
    except (json.JSONDecodeError, pa.ArrowException, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        if not resume:
            raise
        raise OutputError(
            f"{display_path(layout.work)}: a work file of the interrupted run is corrupt or missing "
            f"({type(exc).__name__}: {str(exc)[:150]}); rerun with --overwrite to start again"
        ) from None
