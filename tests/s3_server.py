"""A real S3-compatible server for tests: moto's standalone server on 127.0.0.1:<free port>,
with the AWS_* variables pointing every client of this process (and of the processes it starts:
`pipeline` subprocesses, Ray nodes) at it while it runs."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator

import pytest


@contextlib.contextmanager
def moto_s3(bucket: str) -> Iterator:
    """Start the server, create `bucket`, yield an s3fs filesystem on it; stop and restore after."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is absent (pip install -e '.[test]')")
    s3fs = pytest.importorskip("s3fs", reason="s3fs is absent (pip install -e '.[test]')")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = dict(AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        fs = s3fs.S3FileSystem()
        fs.mkdir(bucket)
        yield fs
    finally:
        server.stop()
        s3fs.S3FileSystem.clear_instance_cache()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
