"""Where files live: a local path stays a `pathlib.Path` (the code that ran before URLs existed,
unchanged), a URL (`s3://`, `gs://`, `az://`, `hf://`, `http(s)://`, `memory://`, any fsspec
protocol) becomes a `upath.UPath` over its fsspec filesystem, with the same pathlib API.

What pathlib cannot say for both (Parquet through pyarrow, atomic writes, removing a tree) is
here, once: local paths take exactly the calls they always took; remote ones go through fsspec.
Atomic writes on a remote filesystem are one put of the whole file (an object store's PUT is
atomic: a reader sees the old object, or none, or the whole new one), never a partial upload.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Union

from pipeline.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa
    from upath import UPath

AnyPath = Union[Path, "UPath"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# The extra that installs each protocol's fsspec filesystem, for the error when it is missing.
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure", "abfss": "azure",
           "adl": "azure", "hf": "hf", "http": "http", "https": "http"}


def is_url(s: str | os.PathLike) -> bool:
    return isinstance(s, str) and bool(_URL.match(s))


def as_path(p: str | os.PathLike | AnyPath) -> AnyPath:
    """A local path as `Path`, a URL as `UPath` (its filesystem is imported here: a missing
    package is one line naming the extra to install). `file://` URLs are local paths."""
    if isinstance(p, PurePath) or is_remote(p):
        return p  # type: ignore[return-value]
    s = os.fspath(p)
    if not is_url(s):
        return Path(s)
    if s.startswith("file://"):
        return Path(s[len("file://"):])
    from upath import UPath

    protocol = s.split("://", 1)[0].lower()
    try:
        up = UPath(s)
        up.fs  # noqa: B018 - imports and configures the filesystem now, not in the middle of a run
    except ImportError:
        extra = _EXTRAS.get(protocol)
        hint = f"pip install 'newsclean-pipeline[{extra}]'" if extra and extra != "http" else "install the fsspec filesystem for it"
        raise InputError(f"{s}: {protocol}:// needs a filesystem package that is not installed; {hint}") from None
    except (ValueError, TypeError) as exc:
        raise InputError(f"{s}: not a usable URL ({exc})") from None
    return up


def is_remote(p: object) -> bool:
    """A UPath on a filesystem other than the local one (local UPaths are pathlib Paths)."""
    return not isinstance(p, PurePath) and hasattr(p, "fs") and hasattr(p, "protocol")


def text(p: str | os.PathLike | AnyPath) -> str:
    """A path as the text a user gave: the URL for a remote path, the path for a local one."""
    return str(p) if is_remote(p) else os.fspath(p)  # type: ignore[arg-type]


def describe_error(exc: BaseException) -> str:
    """One line for an exception from a remote filesystem (botocore, aiohttp, ...)."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg[:200]}" if msg else type(exc).__name__


def open_binary(p: AnyPath):
    """A file opened for reading bytes: the builtin `open` for a local path (as always), the
    filesystem's streaming file for a remote one."""
    return p.open("rb") if is_remote(p) else open(p, "rb")  # noqa: SIM115 - the caller closes it


# ---------------------------------------------------------------------------------------------
# Parquet through pyarrow (which takes an fsspec filesystem as it is)


def _arrow(p: AnyPath) -> tuple[Any, Any]:
    return (p.path, p.fs) if is_remote(p) else (p, None)  # type: ignore[union-attr]


def read_table(p: AnyPath, **kw: Any) -> "pa.Table":
    import pyarrow.parquet as pq

    where, fs = _arrow(p)
    return pq.read_table(where, filesystem=fs, **kw) if fs is not None else pq.read_table(where, **kw)


def read_metadata(p: AnyPath):
    import pyarrow.parquet as pq

    where, fs = _arrow(p)
    return pq.read_metadata(where, filesystem=fs) if fs is not None else pq.read_metadata(where)


def read_schema(p: AnyPath):
    import pyarrow.parquet as pq

    where, fs = _arrow(p)
    return pq.read_schema(where, filesystem=fs) if fs is not None else pq.read_schema(where)


def parquet_file(p: AnyPath):
    import pyarrow.parquet as pq

    where, fs = _arrow(p)
    return pq.ParquetFile(where, filesystem=fs) if fs is not None else pq.ParquetFile(where)


# ---------------------------------------------------------------------------------------------
# Atomic writes and removal


def put_parquet(table: "pa.Table", p: AnyPath, **kw: Any) -> None:
    """A whole Parquet file in one put (remote paths only; local ones use temp + rename)."""
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf, **kw)
    put_bytes(buf.getvalue(), p)


def put_bytes(data: bytes, p: AnyPath) -> None:
    """Write a remote file whole, in one put: readers never see part of it."""
    parent = p.parent
    if not p.fs.isdir(parent.path) and p.fs.root_marker:  # filesystems with real folders (memory, sftp) need them
        p.fs.makedirs(parent.path, exist_ok=True)
    p.fs.pipe_file(p.path, data)


def rmtree(p: AnyPath) -> None:
    """Remove a folder and everything under it; nothing when it does not exist."""
    if is_remote(p):
        if p.fs.exists(p.path):
            p.fs.rm(p.path, recursive=True)
    else:
        shutil.rmtree(p, ignore_errors=True)


# Object stores whose first path component is a bucket (container) that a run must not create.
_BUCKETED = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"}


def _protocol(p: AnyPath) -> str:
    proto = p.protocol
    return (proto[0] if isinstance(proto, (tuple, list)) else proto).lower()


def check_bucket(p: AnyPath, error: type[Exception] = InputError) -> None:
    """An object store's bucket (container) must exist: a run never creates one (a typo in a
    bucket name would otherwise create a bucket). Filesystems with a root folder have no buckets."""
    if not is_remote(p) or _protocol(p) not in _BUCKETED:
        return
    bucket = p.path.split("/", 1)[0]
    try:
        ok = p.fs.exists(bucket)
    except Exception as exc:  # noqa: BLE001 - credentials, network, endpoint: one line
        raise error(f"{text(p)}: cannot reach the bucket '{bucket}' ({describe_error(exc)})") from None
    if not ok:
        raise error(f"{text(p)}: no such bucket '{bucket}' (or no access to it); create it first")
