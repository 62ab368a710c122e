"""WARC / WET input via warcio: HTML responses (charset from the HTTP header) and WET text records."""

from __future__ import annotations

from typing import Iterator

from pipeline.core.document import RawDocument
from pipeline.io.readers import InputFile, ReadFailure


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip().strip("\"'")
    return None


def read_warc(f: InputFile, max_bytes: int) -> Iterator[RawDocument | ReadFailure]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    src = str(f.path)
    index = 0
    with open(f.path, "rb") as fh:  # warcio handles .gz members itself
        try:
            for record in ArchiveIterator(fh, arc2warc=True):
                index += 1
                rtype = record.rec_type
                if rtype not in ("response", "conversion", "resource"):
                    continue
                headers = record.rec_headers
                rec_id = (headers.get_header("WARC-Record-ID") or "").strip("<>").replace("urn:uuid:", "")
                doc_id = f"{f.rel_id}:{rec_id or index}"
                url = headers.get_header("WARC-Target-URI")
                date = headers.get_header("WARC-Date")
                if rtype == "response":
                    http = record.http_headers
                    ctype = http.get_header("Content-Type") if http else None
                    if ctype and "html" not in ctype.lower():
                        continue  # images, scripts, robots.txt: not documents
                    fmt, charset = "html", _charset(ctype)
                elif rtype == "conversion":
                    fmt, charset = "text", "utf-8"
                else:
                    ctype = headers.get_header("Content-Type") or ""
                    fmt, charset = ("html" if "html" in ctype else "text"), _charset(ctype)
                data = record.content_stream().read(max_bytes + 1)
                yield RawDocument(
                    id=doc_id, source=src, data=data, format=fmt, charset_hint=charset, url=url, date=date
                )
        except ArchiveLoadFailed as exc:
            yield ReadFailure(f"{f.rel_id}:<record {index + 1}>", src, f"read:broken WARC record {index + 1} ({exc})")
        except (ValueError, AttributeError, KeyError, TypeError) as exc:
            # warcio raises plain Python errors on some malformed headers; the file stops here.
            yield ReadFailure(f"{f.rel_id}:<record {index + 1}>", src, f"read:broken WARC record {index + 1} ({type(exc).__name__})")
