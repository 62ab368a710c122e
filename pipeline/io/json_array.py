"""A `.json` file holding one JSON array of article objects, streamed element by element (the
file is never held whole: each element is parsed from a buffer bounded by `max_bytes`)."""

from __future__ import annotations

import codecs
import json
from typing import IO, Iterator

from pipeline.core.document import RawDocument
from pipeline.io.fields import DEFAULT_INPUT, InputConfig
from pipeline.io.readers import InputFile, ReadFailure, record_from_mapping
from pipeline.io.safety import display_path

_CHUNK = 1 << 16
_WS = " \t\r\n"


def read_json_array(stream: IO[bytes], f: InputFile, max_bytes: int, fields: InputConfig = DEFAULT_INPUT) -> Iterator[RawDocument | ReadFailure]:
    src = display_path(f.path)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parser = json.JSONDecoder()
    buf, pos, eof, index = "", 0, False, 0

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = stream.read(max(_CHUNK, len(buf) - pos))  # geometric: a big element is re-parsed O(log n) times
        if not chunk:
            eof = True
            buf = buf[pos:] + decoder.decode(b"", final=True)
        else:
            buf = buf[pos:] + decoder.decode(chunk)
        pos = 0
        return True

    def skip(chars: str) -> None:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in chars:
                pos += 1
            if pos < len(buf) or not more():
                return

    try:
        skip(_WS)
        if pos >= len(buf) or buf[pos] != "[":
            yield ReadFailure(f"{f.rel_id}:<file>", src, "read:not a JSON array")
            return
        pos += 1
        while True:
            skip(_WS + ",")
            if pos >= len(buf):
                yield ReadFailure(f"{f.rel_id}:<element {index + 1}>", src, f"read:JSON array ends without ']' after element {index}")
                return
            if buf[pos] == "]":
                return
            index += 1
            default_id = f"{f.rel_id}:{index}"
            while True:
                try:
                    obj, end = parser.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    if len(buf) - pos > max_bytes:
                        yield ReadFailure(default_id, src, f"read:JSON array element {index} is larger than max_bytes; rest of the file not read")
                        return
                    if not more():
                        yield ReadFailure(default_id, src, f"read:JSON array element {index} is not valid JSON ({exc.msg}); rest of the file not read")
                        return
            # An element that ends exactly at the buffer's end may be a number cut short; only
            # objects matter here and those end with '}', so no re-read is needed.
            pos = end
            if isinstance(obj, dict):
                yield record_from_mapping(obj, default_id, src, fields)
            else:
                yield ReadFailure(default_id, src, f"read:JSON array element {index} is a {type(obj).__name__}, not an object")
    except UnicodeDecodeError:
        yield ReadFailure(f"{f.rel_id}:<element {index + 1}>", src, f"read:JSON file is not UTF-8 (after element {index})")
    except RecursionError:
        yield ReadFailure(f"{f.rel_id}:<element {index + 1}>", src, "read:JSON nested too deeply; rest of the file not read")
