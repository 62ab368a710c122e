"""Issue 12, part 1 and 2: one bad record never stops a run, and nothing is lost silently.
Each case is built by the test; every run must finish with the accounting holding."""

import importlib.util
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import run
from pipeline.config import PipelineConfig

from tests.helpers import rejected_by_id, warc_bytes

GOOD = "The river authority said on Monday that water levels had fallen for a third week in a row. " * 4
OTHER = "A different story: the city library will open on Sundays from March, the council said. " * 3


def _corpus(out):
    return {r["id"]: r for r in pq.read_table(out / "corpus").to_pylist()}


def _ok(result):
    m = result.manifest
    assert m["accounting"]["ok"], m["accounting"]
    return m


def _write(folder, files: dict):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        p = folder / name if isinstance(name, str) else folder / os.fsdecode(name)
        p.write_bytes(data)
    return folder


def _run(tmp_path, files: dict, config=None):
    inp = _write(tmp_path / "in", files)
    result = run([inp], tmp_path / "out", config)
    return tmp_path / "out", _ok(result)


WORDS = ("harbour council rail budget school river festival museum election storm farmers hospital bridge "
         "library orchestra airport vineyard mayor teachers football bakery theatre").split()


def story(i: int) -> str:
    """A distinct, prose-like article per i (no near-duplicates of each other)."""
    import random

    r = random.Random(i)
    return " ".join(
        f"The {r.choice(WORDS)} {r.choice(WORDS)} said on {r.choice(['Monday', 'Friday', 'Sunday'])} that the {r.choice(WORDS)} "
        f"would {r.choice(['open', 'close', 'expand', 'move'])} after {r.randint(2, 90)} {r.choice(WORDS)} plans were approved."
        for _ in range(6)
    )


def _page(text):
    return f"<html><head><title>T</title></head><body><article><p>{text}</p></article></body></html>".encode()


# ---- one input used to abort the whole run ------------------------------------------------


@pytest.mark.parametrize("field", ["id", "url", "title", "date"])
def test_lone_surrogate_in_jsonl_metadata(tmp_path, field):
    rec = {"id": "a", "text": GOOD, "url": "https://example.org/a", "title": "t", "date": "2024-01-02"}
    rec[field] = "x\udfffy"
    line = json.dumps(rec).encode()  # json.dumps writes it as the escape "\udfff"
    out, m = _run(tmp_path, {"feed.jsonl": line + b"\n" + json.dumps({"id": "b", "text": OTHER}).encode()})
    corpus = _corpus(out)
    assert m["counts"]["kept"] == 2
    assert any(r[field] == "x\ufffdy" for r in corpus.values()) or field == "date"  # dates are parsed
    assert "\udfff" not in json.dumps(m, ensure_ascii=False).encode("utf-8", "backslashreplace").decode()


def test_metadata_control_characters_are_removed(tmp_path):
    rec = {"id": "a", "text": GOOD, "url": "https://example.org/\x00a", "title": "Red \x1b[31malert\x07"}
    out, m = _run(tmp_path, {"feed.jsonl": json.dumps(rec).encode()})
    row = _corpus(out)["a"]
    assert row["title"] == "Red [31malert" and row["url"] == "https://example.org/a"


def test_file_name_not_utf8_in_a_folder_and_given_directly(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    bad = os.fsdecode(b"caf\xe9.txt")
    (inp / bad).write_text(GOOD)
    (inp / os.fsdecode(b"caf\xe8.txt")).write_text(OTHER)
    out, m = tmp_path / "out", _ok(run([inp], tmp_path / "out"))
    assert set(_corpus(out)) == {"caf\\xe9", "caf\\xe8"}  # distinct, readable, writable
    assert all("\\x" in r["source"] for r in _corpus(out).values())
    m2 = _ok(run([inp / bad], tmp_path / "out2"))
    assert m2["counts"]["kept"] == 1 and m2["inputs"] == [str(inp) + "/caf\\xe9.txt"]


def test_meta_charset_undefined_and_warc_charset_punycode(tmp_path):
    html = b'<html><head><meta charset="undefined"><title>x</title></head><body><article><p>' + GOOD.encode() + b"</p></article></body></html>"
    warc = warc_bytes([("https://example.org/p", _page(OTHER), "text/html; charset=punycode")])
    out, m = _run(tmp_path, {"page.html": html, "crawl.warc": warc})
    assert m["counts"]["kept"] == 2, rejected_by_id(out)


def test_parquet_with_invalid_utf8_strings(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    # Arrow refuses to build invalid UTF-8 strings directly; write binary, then relabel the
    # column as string in the file schema (what a buggy producer writes).
    table = pa.table({
        "id": pa.array([b"p1", b"p\xff2", b"p3"], pa.binary()),
        "text": pa.array([GOOD.encode(), "Caf\u00e9 ".encode("cp1252") + OTHER.encode(), b"\xff\xfe\x00garbage\x00" * 20], pa.binary()),
        "title": pa.array([b"ok", b"bad \xff title", b"x"], pa.binary()),
    })
    # Same buffers, string type: what a buggy producer writes.
    relabeled = pa.Table.from_arrays(
        [pa.Array.from_buffers(pa.string(), len(c), c.chunk(0).buffers()) for c in table.columns], names=table.column_names
    )
    pq.write_table(relabeled, inp / "bad.parquet")
    out, m = _ok_run(inp, tmp_path)
    corpus, rej = _corpus(out), rejected_by_id(out)
    assert "p1" in corpus
    assert any(r["title"] == "bad \ufffd title" for r in corpus.values())  # metadata keeps what is readable
    assert len(corpus) + len(rej) == 3


def _ok_run(inp, tmp_path, name="out", config=None):
    result = run([inp], tmp_path / name, config)
    return tmp_path / name, _ok(result)


def test_parquet_with_flipped_bits_never_aborts(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(50)], "text": [f"{GOOD} {i}" for i in range(50)]}), tmp_path / "good.parquet")
    good = (tmp_path / "good.parquet").read_bytes()
    for k, pos in enumerate(range(8, len(good) - 8, max(1, len(good) // 40))):
        b = bytearray(good)
        b[pos] ^= 0x10
        (inp / f"flip{k:03d}.parquet").write_bytes(bytes(b))
    out, m = _ok_run(inp, tmp_path)
    assert m["counts"]["input_documents"] >= len(list(inp.iterdir()))


def test_id_colliding_with_a_generated_suffix(tmp_path):
    a = b"\n".join(json.dumps({"id": "x", "text": t}).encode() for t in (GOOD, OTHER))
    b = json.dumps({"id": "x#2", "text": GOOD + " Also a third story about trains."}).encode()
    out, m = _run(tmp_path, {"a.jsonl": a, "b.jsonl": b})
    assert m["counts"]["input_documents"] == 3 and m["accounting"]["unique_ids"] == 3


# ---- documents lost while the manifest said "accounting ok" --------------------------------


def test_symlinked_folder_is_followed_and_a_loop_is_a_row(tmp_path):
    real = _write(tmp_path / "elsewhere", {"linked.txt": GOOD.encode()})
    inp = _write(tmp_path / "in", {"own.txt": OTHER.encode()})
    (inp / "sub").symlink_to(real, target_is_directory=True)
    (inp / "loop").symlink_to(inp, target_is_directory=True)
    out, m = _ok_run(inp, tmp_path)
    assert set(_corpus(out)) == {"own", "sub/linked"}
    assert "symlink loop" in rejected_by_id(out)["loop:<file>"]["reason"]


def test_unreadable_subfolder_is_a_row(tmp_path, monkeypatch):
    inp = _write(tmp_path / "in", {"a.txt": GOOD.encode()})
    _write(inp / "secret", {"b.txt": OTHER.encode()})
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # works as root too
    out, m = _ok_run(inp, tmp_path)
    row = rejected_by_id(out)["secret:<file>"]
    assert row["stage"] == "read" and "cannot read folder (Permission denied)" in row["reason"]


def test_unreadable_file_is_labelled_permission_denied_not_corrupt(tmp_path, monkeypatch):
    import builtins

    inp = _write(tmp_path / "in", {"a.txt": GOOD.encode(), "locked.txt": OTHER.encode()})
    real_open = builtins.open

    def fake_open(path, *a, **k):
        if str(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(builtins, "open", fake_open)
    out, m = _ok_run(inp, tmp_path)
    reason = rejected_by_id(out)["locked:<file>"]["reason"]
    assert "Permission denied" in reason and "corrupt" not in reason


def test_fifo_socket_in_folder_are_rows_not_hangs(tmp_path):
    inp = _write(tmp_path / "in", {"a.txt": GOOD.encode()})
    os.mkfifo(inp / "pipe.txt")
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inp / "sock.txt"))
    try:
        out, m = _ok_run(inp, tmp_path)
    finally:
        sock.close()
    assert "not a regular file (fifo)" in rejected_by_id(out)["pipe.txt:<file>"]["reason"]
    assert "not a regular file (socket)" in rejected_by_id(out)["sock.txt:<file>"]["reason"]


def test_truncated_warc_last_record_is_a_row(tmp_path):
    warc = warc_bytes([("https://example.org/a", _page(GOOD), "text/html"), ("https://example.org/b", _page(OTHER), "text/html")])
    out, m = _run(tmp_path, {"cut.warc": warc[: len(warc) - 200]})
    corpus, rej = _corpus(out), rejected_by_id(out)
    assert [r["url"] for r in corpus.values()] == ["https://example.org/a"]
    assert any("truncated WARC record 2" in r["reason"] for r in rej.values())


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("length", [b"99999999", b"abc"])
def test_bad_content_length_costs_one_record(tmp_path, gz, length):
    recs = [(f"https://example.org/{i}", _page(story(i)), "text/html") for i in range(4)]
    parts = [warc_bytes([r], gzip=gz) for r in recs]
    if gz:
        import gzip

        mid = gzip.decompress(parts[1])
        mid = mid.replace(b"Content-Length: " + mid.split(b"Content-Length: ")[1].split(b"\r\n")[0], b"Content-Length: " + length, 1)
        parts[1] = gzip.compress(mid)
    else:
        mid = parts[1]
        parts[1] = mid.replace(b"Content-Length: " + mid.split(b"Content-Length: ")[1].split(b"\r\n")[0], b"Content-Length: " + length, 1)
    out, m = _run(tmp_path, {"crawl.warc" + (".gz" if gz else ""): b"".join(parts)})
    urls = sorted(r["url"] for r in _corpus(out).values())
    assert urls == ["https://example.org/0", "https://example.org/2", "https://example.org/3"], (urls, rejected_by_id(out))
    assert m["counts"]["rejected"] == 1


def test_content_length_too_small_is_a_row_not_half_a_document(tmp_path, capfd):
    recs = [(f"https://example.org/{i}", _page(story(i)), "text/html") for i in range(3)]
    parts = [warc_bytes([r]) for r in recs]
    mid = parts[1]
    n = int(mid.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    parts[1] = mid.replace(f"Content-Length: {n}".encode(), f"Content-Length: {n - 40}".encode(), 1)
    out, m = _run(tmp_path, {"crawl.warc": b"".join(parts)})
    urls = sorted(r["url"] for r in _corpus(out).values())
    assert "https://example.org/0" in urls and "https://example.org/1" not in urls
    assert "WARNING: Record not followed by newline" not in capfd.readouterr().err  # no anonymous multi-line warning


def test_same_article_ten_times_one_kept_rest_duplicates(tmp_path):
    files = {f"copy{i:02d}.txt": GOOD.encode() for i in range(12)}
    files["other.txt"] = OTHER.encode()
    out, m = _run(tmp_path, files)
    c = m["counts"]
    assert c["kept"] == 2 and c["duplicates"] == 11 and c["rejected"] == 0, c


def test_same_article_across_shards_counts_once(tmp_path):
    files = {f"copy{i:02d}.txt": GOOD.encode() for i in range(12)}
    cfg = PipelineConfig().with_overrides(run={"shard_size": 3})
    out, m = _run(tmp_path, files, cfg)
    assert m["counts"]["kept"] == 1 and m["counts"]["duplicates"] == 11


def test_json_array_file_is_documents(tmp_path):
    arr = json.dumps([{"id": "a1", "text": GOOD}, {"id": "a2", "text": OTHER}, "not an object"]).encode()
    out, m = _run(tmp_path, {"articles.json": b"\xef\xbb\xbf  \n" + arr, "broken.json": b'[{"id": "b1", "text": "' + story(5).encode() + b'"}, {"id": '})
    assert {"a1", "a2", "b1"} <= set(_corpus(out))
    rej = rejected_by_id(out)
    assert "not an object" in rej["articles:3"]["reason"] and "not valid JSON" in rej["broken:2"]["reason"]


def test_jsonl_leading_bom_accepted(tmp_path):
    data = b"\xef\xbb\xbf" + json.dumps({"id": "first", "text": GOOD}).encode() + b"\n" + json.dumps({"id": "second", "text": OTHER}).encode()
    out, m = _run(tmp_path, {"feed.jsonl": data})
    assert set(_corpus(out)) == {"first", "second"}


def test_mixed_utf8_and_cp1252_file_decoded_per_line(tmp_path):
    data = ("Première ligne écrite en UTF-8 à Paris, l'été dernier.\n" * 3).encode() + \
        ("Deuxième ligne écrite en cp1252 à Noël, près du café.\n" * 3).encode("cp1252") + GOOD.encode()
    out, m = _run(tmp_path, {"mixed.txt": data})
    doc = _corpus(out)["mixed"]
    assert "Noël" in doc["text"] and "Première" in doc["text"] and doc["charset"] == "utf-8+cp1252"


def test_utf16_without_bom_is_decoded(tmp_path):
    out, m = _run(tmp_path, {"le.txt": GOOD.encode("utf-16-le"), "be.txt": OTHER.encode("utf-16-be")})
    assert set(_corpus(out)) == {"le", "be"}


def test_out_inside_input_is_refused_before_anything_is_deleted(tmp_path):
    from pipeline.errors import OutputError

    inp = _write(tmp_path / "in", {"a.txt": GOOD.encode()})
    with pytest.raises(OutputError, match="inside the input"):
        run([inp], inp / "out")
    assert not (inp / "out").exists()
    with pytest.raises(OutputError, match="inside the output"):
        run([tmp_path / "in"], tmp_path)


def test_second_run_on_a_locked_out_is_refused(tmp_path):
    from filelock import FileLock

    from pipeline.errors import OutputError
    from pipeline.io.layout import LOCK_NAME

    inp = _write(tmp_path / "in", {"a.txt": GOOD.encode()})
    out = tmp_path / "out"
    out.mkdir()
    # another process (a lock held through another file object counts as another holder)
    import subprocess
    import sys
    import time

    holder = subprocess.Popen([sys.executable, "-c", f"from filelock import FileLock; l=FileLock({str(out / LOCK_NAME)!r}); l.acquire(); print('held', flush=True); import time; time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputError, match="another run is writing"):
            run([inp], out, overwrite=True)
        with pytest.raises(OutputError, match="another run is writing"):
            run([inp], out, resume=True)
        if importlib.util.find_spec("ray") is not None:  # the Ray engine takes the same lock, before connecting
            with pytest.raises(OutputError, match="another run is writing"):
                run([inp], out, overwrite=True, engine="ray")
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    _ok(run([inp], out, overwrite=True))  # free again: runs, and a rerun with --overwrite too
    _ok(run([inp], out, overwrite=True))
    assert FileLock  # imported for the reader: the lock is filelock's


def test_damaged_gzip_member_warning_names_the_file(tmp_path, capfd, caplog):
    parts = [warc_bytes([(f"https://example.org/{i}", _page(story(i)), "text/html")], gzip=True) for i in range(3)]
    mid = bytearray(parts[1])
    for k in range(len(mid) // 2, len(mid) // 2 + 8):
        mid[k] ^= 0xFF
    parts[1] = bytes(mid)
    with caplog.at_level("WARNING"):
        out, m = _run(tmp_path, {"crawl.warc.gz": b"".join(parts)})
    assert "https://example.org/0" in {r["url"] for r in _corpus(out).values()}
    assert m["counts"]["rejected"] >= 1
    assert capfd.readouterr().err == ""  # nothing anonymous on stderr
    assert all("crawl.warc.gz" in r["source"] for r in rejected_by_id(out).values())
    # what warcio itself writes to stderr becomes one log line naming the file being read
    import warcio.bufferedreaders

    from pipeline.io.warc_input import _current_file, _quiet_warcio

    _quiet_warcio()
    _current_file.set("some/crawl.warc.gz")
    caplog.clear()
    with caplog.at_level("WARNING"):
        warcio.bufferedreaders.sys.stderr.write("Error -3 while decompressing data:\n  invalid block type\n")
    assert [r.getMessage() for r in caplog.records] == ["some/crawl.warc.gz: warcio: Error -3 while decompressing data: invalid block type"]
