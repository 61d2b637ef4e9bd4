"""Download step: a real loopback HTTP server, archives, checksums, atomicity, the mirror."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import socket
import sys
import tarfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seatlib.data import download, sources
from seatlib.data.download import (
    MIRROR_ADVICE,
    DataError,
    fetch_dataset,
    fetch_files,
    sha256_file,
)
from seatlib.data.sources import DATASETS, DERIVED, MIRROR_ONLY, PAYLOAD_SHA256, RemoteFile

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="no data mirror at ../shared/data")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Server:
    """Serves ``routes`` (path -> bytes) on 127.0.0.1 and counts the hits per path.
    ``first`` (path -> list of HTTP status codes or bytes) is answered before ``routes``, one
    item per request; ``delay`` (path -> seconds) stalls before answering."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.first: dict[str, list[int | bytes]] = {}
        self.delay: dict[str, float] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.hits[self.path] += 1
                time.sleep(server.delay.get(self.path, 0.0))
                queued = server.first.get(self.path)
                body = queued.pop(0) if queued else server.routes.get(self.path)
                if isinstance(body, int):
                    self.send_error(body)
                    return
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_gz_bytes(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PLAIN = b"plain file\n"
MEMBER = b"inside the zip\n"
TAR_MEMBER = b"inside the tar\n"


@pytest.fixture
def remote(server: Server) -> list[RemoteFile]:
    server.routes["/plain.txt"] = PLAIN
    server.routes["/a.zip"] = zip_bytes({"dir/m.txt": MEMBER, "dir/other.txt": b"x"})
    server.routes["/b.tar.gz"] = tar_gz_bytes({"top/t.txt": TAR_MEMBER, "top/u.txt": b"y"})
    return [
        RemoteFile("x/plain.txt", sha(PLAIN), server.url("/plain.txt")),
        RemoteFile("x/m.txt", sha(MEMBER), server.url("/a.zip"), "dir/m.txt"),
        RemoteFile("y/t.txt", sha(TAR_MEMBER), server.url("/b.tar.gz"), "top/t.txt"),
    ]


@pytest.fixture(autouse=True)
def no_env_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEAT_DATA_MIRROR", raising=False)
    monkeypatch.setattr(download, "RETRIES", 0)  # no 1 s waits; the retry tests set their own


# ---------------------------------------------------------------------------------------------
# downloads


def test_download_plain_zip_and_tar_members(tmp_path: Path, remote: list[RemoteFile],
                                            server: Server) -> None:
    dest = tmp_path / "raw"
    assert fetch_files(remote, dest) == dest
    assert (dest / "x" / "plain.txt").read_bytes() == PLAIN
    assert (dest / "x" / "m.txt").read_bytes() == MEMBER
    assert (dest / "y" / "t.txt").read_bytes() == TAR_MEMBER
    assert all_files(dest) == ["x/m.txt", "x/plain.txt", "y/t.txt"]
    for rf in remote:
        assert sha256_file(dest / rf.path) == rf.sha256


def test_verified_files_are_not_fetched_again(tmp_path: Path, remote: list[RemoteFile],
                                              server: Server) -> None:
    fetch_files(remote, tmp_path)
    assert dict(server.hits) == {"/plain.txt": 1, "/a.zip": 1, "/b.tar.gz": 1}
    fetch_files(remote, tmp_path)
    assert dict(server.hits) == {"/plain.txt": 1, "/a.zip": 1, "/b.tar.gz": 1}
    (tmp_path / "x" / "plain.txt").write_bytes(b"corrupted")
    fetch_files(remote, tmp_path)
    assert server.hits["/plain.txt"] == 2 and server.hits["/a.zip"] == 1
    assert (tmp_path / "x" / "plain.txt").read_bytes() == PLAIN


def test_one_download_per_archive(tmp_path: Path, server: Server) -> None:
    server.routes["/a.zip"] = zip_bytes({"m1": b"one", "m2": b"two"})
    files = [RemoteFile("m1", sha(b"one"), server.url("/a.zip"), "m1"),
             RemoteFile("m2", sha(b"two"), server.url("/a.zip"), "m2")]
    fetch_files(files, tmp_path)
    assert server.hits["/a.zip"] == 1
    assert all_files(tmp_path) == ["m1", "m2"]


def test_checksum_mismatch_leaves_nothing(tmp_path: Path, server: Server) -> None:
    server.routes["/plain.txt"] = PLAIN
    wrong = "0" * 64
    rf = RemoteFile("x/plain.txt", wrong, server.url("/plain.txt"))
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path)
    assert str(err.value) == (f"checksum mismatch for x/plain.txt (from {rf.url}): expected "
                              f"sha256 {wrong}, got sha256 {sha(PLAIN)}")
    assert all_files(tmp_path) == []  # no file and no temporary file
    assert server.hits["/plain.txt"] == 1  # RETRIES = 0: one attempt


def test_failed_download_is_retried(tmp_path: Path, server: Server,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server.routes["/plain.txt"] = PLAIN
    server.first["/plain.txt"] = [503]
    rf = RemoteFile("x/plain.txt", sha(PLAIN), server.url("/plain.txt"))
    monkeypatch.setattr(download, "RETRIES", 1)  # the default of fetch_files
    fetch_files([rf], tmp_path)
    assert server.hits["/plain.txt"] == 2
    assert all_files(tmp_path) == ["x/plain.txt"]
    assert (tmp_path / "x" / "plain.txt").read_bytes() == PLAIN


def test_corrupted_download_is_retried(tmp_path: Path, server: Server) -> None:
    server.routes["/plain.txt"] = PLAIN
    server.first["/plain.txt"] = [b"truncated"]
    rf = RemoteFile("x/plain.txt", sha(PLAIN), server.url("/plain.txt"))
    fetch_files([rf], tmp_path, retries=1)
    assert server.hits["/plain.txt"] == 2
    assert (tmp_path / "x" / "plain.txt").read_bytes() == PLAIN


def test_retries_exhausted(tmp_path: Path, server: Server) -> None:
    server.first["/plain.txt"] = [500, 500]
    url = server.url("/plain.txt")
    with pytest.raises(DataError) as err:
        fetch_files([RemoteFile("x/plain.txt", sha(PLAIN), url)], tmp_path, retries=1)
    assert str(err.value) == f"could not reach {url} (HTTP 500); {MIRROR_ADVICE}"
    assert server.hits["/plain.txt"] == 2
    assert all_files(tmp_path) == []


def test_timeout(tmp_path: Path, server: Server) -> None:
    server.routes["/slow.txt"] = PLAIN
    server.delay["/slow.txt"] = 1.5
    url = server.url("/slow.txt")
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        fetch_files([RemoteFile("x/slow.txt", sha(PLAIN), url)], tmp_path, timeout=0.3)
    assert time.monotonic() - start < 1.4  # gave up before the server answered
    assert str(err.value) == f"could not reach {url} (no answer within 0.3 s); {MIRROR_ADVICE}"
    assert all_files(tmp_path) == []


def test_member_checksum_mismatch_keeps_earlier_files(tmp_path: Path, remote: list[RemoteFile]
                                                      ) -> None:
    bad = RemoteFile("y/u.txt", "1" * 64, remote[2].url, "top/u.txt")
    with pytest.raises(DataError, match=r"checksum mismatch for y/u.txt \(from .* member "
                                        r"top/u.txt\): expected sha256 1{64}, got sha256"):
        fetch_files([remote[0], bad], tmp_path)
    assert all_files(tmp_path) == ["x/plain.txt"]


def test_unreachable_url_gives_the_mirror_advice(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/data.zip"
    rf = RemoteFile("z/data.txt", "0" * 64, url, "data.txt")
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path, timeout=5)
    message = str(err.value)
    assert message.startswith(f"could not reach {url} ([Errno 111] Connection refused)")
    assert message.endswith(
        "); to use a local mirror set `data.mirror: /path/to/mirror` in config.yaml or export "
        "SEAT_DATA_MIRROR=/path/to/mirror (a folder laid out like ../shared/data, see its "
        "README)")
    assert MIRROR_ADVICE in message and "\n" not in message
    assert all_files(tmp_path) == []


def test_http_error_gives_the_mirror_advice(tmp_path: Path, server: Server) -> None:
    url = server.url("/missing.txt")
    with pytest.raises(DataError) as err:
        fetch_files([RemoteFile("m.txt", "0" * 64, url)], tmp_path)
    assert str(err.value) == f"could not reach {url} (HTTP 404); {MIRROR_ADVICE}"


def test_missing_member(tmp_path: Path, remote: list[RemoteFile]) -> None:
    rf = RemoteFile("x/n.txt", "0" * 64, remote[1].url, "dir/nope.txt")
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path)
    assert str(err.value) == f"member dir/nope.txt not found in the zip archive from {rf.url}"
    assert all_files(tmp_path) == []


def test_member_of_a_plain_file(tmp_path: Path, remote: list[RemoteFile]) -> None:
    rf = RemoteFile("x/n.txt", "0" * 64, remote[0].url, "inner.txt")
    with pytest.raises(DataError, match="is not a zip or tar archive"):
        fetch_files([rf], tmp_path)


def _outside(tmp_path: Path) -> list[str]:
    """Files anywhere under tmp_path's parent that are not under tmp_path/raw."""
    root = tmp_path.parent
    return [p for p in all_files(root) if not p.startswith(f"{tmp_path.name}/raw/")]


@pytest.mark.parametrize("member", ["../evil.txt", "top/../../evil.txt", "/tmp/evil.txt"])
@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_unsafe_member_is_refused(tmp_path: Path, server: Server, member: str, kind: str
                                  ) -> None:
    members = {"top/ok.txt": b"ok", member: b"evil"}
    server.routes["/a"] = zip_bytes(members) if kind == "zip" else tar_gz_bytes(members)
    before = _outside(tmp_path)
    rf = RemoteFile("x/evil.txt", sha(b"evil"), server.url("/a"), member)
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path / "raw")
    assert str(err.value) == (f"unsafe member name {member} in the {kind} archive from "
                              f"{rf.url} (absolute or with ..): refused")
    assert all_files(tmp_path / "raw") == [] and _outside(tmp_path) == before
    assert not Path("/tmp/evil.txt").exists()


def test_unsafe_member_in_a_converted_folder_is_refused(tmp_path: Path, server: Server) -> None:
    server.routes["/imdb"] = tar_gz_bytes({"aclImdb/train/pos/1_9.txt": b"good",
                                          "aclImdb/train/../../evil.txt": b"evil"})
    rf = RemoteFile("imdb/train.csv.gz", "0" * 64, server.url("/imdb"), "aclImdb/train")
    with pytest.raises(DataError, match=r"^unsafe member name aclImdb/train/\.\./\.\./evil.txt "
                                        r"in the tar archive from .*: refused$"):
        fetch_files([rf], tmp_path / "raw")
    assert all_files(tmp_path / "raw") == []


def test_link_member_is_refused(tmp_path: Path, server: Server) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("top/link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(info)
    server.routes["/t.tar.gz"] = buf.getvalue()
    rf = RemoteFile("x/link", "0" * 64, server.url("/t.tar.gz"), "top/link")
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path / "raw")
    assert str(err.value) == f"member top/link of the tar archive from {rf.url} is not a " \
                             "regular file"
    assert all_files(tmp_path / "raw") == []


@pytest.mark.parametrize("path", ["../x.txt", "/tmp/x.txt", "a/../../x.txt"])
def test_unsafe_file_path_is_refused(tmp_path: Path, server: Server, path: str) -> None:
    server.routes["/plain.txt"] = PLAIN
    with pytest.raises(DataError) as err:
        fetch_files([RemoteFile(path, sha(PLAIN), server.url("/plain.txt"))], tmp_path / "raw")
    assert str(err.value) == f"unsafe file path {path} (absolute or with ..): refused"
    assert sum(server.hits.values()) == 0 and all_files(tmp_path) == []


def test_mirror_only_file_needs_a_mirror(tmp_path: Path) -> None:
    rf = next(f for f in DATASETS["sst2"].files if f.path in MIRROR_ONLY)
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path)
    assert str(err.value).startswith(f"{rf.path} has no public source that reproduces it")
    assert str(err.value).endswith(MIRROR_ADVICE)


# ---------------------------------------------------------------------------------------------
# mirror


@pytest.fixture
def local_mirror(tmp_path: Path) -> Path:
    mirror = tmp_path / "mirror"
    (mirror / "x").mkdir(parents=True)
    (mirror / "x" / "plain.txt").write_bytes(PLAIN)
    (mirror / "x" / "m.txt").write_bytes(MEMBER)
    return mirror


def test_mirror_copy(tmp_path: Path, local_mirror: Path, remote: list[RemoteFile],
                     server: Server) -> None:
    dest = tmp_path / "raw"
    fetch_files(remote[:2], dest, mirror=local_mirror)
    assert (dest / "x" / "plain.txt").read_bytes() == PLAIN
    assert (dest / "x" / "m.txt").read_bytes() == MEMBER
    assert sum(server.hits.values()) == 0


def test_mirror_from_environment(tmp_path: Path, local_mirror: Path, remote: list[RemoteFile],
                                 server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAT_DATA_MIRROR", str(local_mirror))
    fetch_files(remote[:1], tmp_path / "raw")
    assert (tmp_path / "raw" / "x" / "plain.txt").read_bytes() == PLAIN
    assert sum(server.hits.values()) == 0


def test_missing_mirror_file(tmp_path: Path, local_mirror: Path, remote: list[RemoteFile]
                             ) -> None:
    dest = tmp_path / "raw"
    with pytest.raises(DataError) as err:
        fetch_files(remote, dest, mirror=local_mirror)
    assert str(err.value) == (f"mirror file {local_mirror / 'y' / 't.txt'} is missing (needed "
                              "for y/t.txt; the mirror must be laid out like ../shared/data)")


def test_missing_mirror_folder(tmp_path: Path, remote: list[RemoteFile]) -> None:
    with pytest.raises(DataError, match="mirror folder .*absent does not exist"):
        fetch_files(remote, tmp_path / "raw", mirror=tmp_path / "absent")


def test_corrupt_mirror_file(tmp_path: Path, local_mirror: Path, remote: list[RemoteFile]
                             ) -> None:
    (local_mirror / "x" / "plain.txt").write_bytes(b"tampered")
    dest = tmp_path / "raw"
    with pytest.raises(DataError, match=f"checksum mismatch for x/plain.txt \\(from "
                                        f".*plain.txt\\): expected sha256 {sha(PLAIN)}"):
        fetch_files(remote[:1], dest, mirror=local_mirror)
    assert all_files(dest) == []


def test_unknown_dataset(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown dataset 'mnist'; valid names: sst, sst2"):
        fetch_dataset("mnist", tmp_path)


def test_specs() -> None:
    assert list(DATASETS) == ["sst", "sst2", "imdb", "rotten_tomatoes", "tweet_emotion",
                              "tweet_hate", "20news_sports", "rte"]
    spec = sources.get_spec("20news_sports")
    assert (spec.min_df, spec.min_len, spec.max_len) == (2, 6, 500)
    assert (sources.get_spec("sst").min_len, sources.get_spec("imdb").min_df) == (5, 10)
    for spec in DATASETS.values():
        assert len(spec.label_names) == 2
        for rf in spec.files:
            assert len(rf.sha256) == 64 and rf.url.startswith(("https://", "http://"))
    paths = {rf.path for spec in DATASETS.values() for rf in spec.files}
    assert set(DERIVED) <= paths and set(PAYLOAD_SHA256) <= set(DERIVED)
    assert MIRROR_ONLY <= paths


# ---------------------------------------------------------------------------------------------
# converters (original public layout -> mirror layout), on tiny synthetic originals


def serve_derived(server: Server, monkeypatch: pytest.MonkeyPatch, path: str, archive: bytes,
                  member: str, expected: bytes, gz: bool = False) -> RemoteFile:
    server.routes["/archive"] = archive
    if gz:
        monkeypatch.setitem(PAYLOAD_SHA256, path, sha(expected))
        return RemoteFile(path, "f" * 64, server.url("/archive"), member)
    return RemoteFile(path, sha(expected), server.url("/archive"), member)


def test_convert_imdb(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tar_gz_bytes({
        "aclImdb/README": b"readme",
        "aclImdb/train/pos/10_9.txt": b"Ten.",
        "aclImdb/train/pos/2_8.txt": "Caf\u00e9, \"two\"".encode(),
        "aclImdb/train/neg/0_3.txt": b"Zero.<br />Bad.",
        "aclImdb/train/unsup/0_0.txt": b"unlabelled",
        "aclImdb/test/neg/0_1.txt": b"not this split",
    })
    expected = ('id,label,rating,text\r\ntrain_neg_0,0,3,Zero.<br />Bad.\r\n'
                'train_pos_2,1,8,"Caf\u00e9, ""two"""\r\ntrain_pos_10,1,9,Ten.\r\n').encode()
    rf = serve_derived(server, monkeypatch, "imdb/train.csv.gz", archive, "aclImdb/train",
                       expected, gz=True)
    fetch_files([rf], tmp_path)
    assert gzip.decompress((tmp_path / "imdb" / "train.csv.gz").read_bytes()) == expected


def test_convert_20news(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
                        ) -> None:
    archive = tar_gz_bytes({
        "20news-bydate-train/sci.space/12": b"Subject: b\n\nspace",
        "20news-bydate-train/alt.atheism/9": b"Subject: a\n\nna\xefve",  # Latin-1
        "20news-bydate-train/alt.atheism/10": b"Subject: c\n\nten",
        "20news-bydate-test/alt.atheism/11": b"other split",
    })
    expected = ('id,label,group,text\r\n9,0,alt.atheism,"Subject: a\n\nna\u00efve"\r\n'
                '10,0,alt.atheism,"Subject: c\n\nten"\r\n12,1,sci.space,"Subject: b\n\nspace"'
                '\r\n').encode()
    rf = serve_derived(server, monkeypatch, "20newsgroups/train.csv.gz", archive,
                       "20news-bydate-train", expected, gz=True)
    classes = RemoteFile("20newsgroups/classes.txt", sha(b"alt.atheism\nsci.space\n"),
                         rf.url, "20news-bydate-train")
    fetch_files([rf, classes], tmp_path)
    assert gzip.decompress((tmp_path / rf.path).read_bytes()) == expected
    assert (tmp_path / classes.path).read_bytes() == b"alt.atheism\nsci.space\n"
    assert server.hits["/archive"] == 1


def test_convert_rt_polarity(tmp_path: Path, server: Server,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    original = "caf\u00e9 \u2026 fine . \nok . \n".encode("cp1252")
    archive = tar_gz_bytes({"rt-polaritydata/rt-polarity.pos": original})
    expected = original.decode("cp1252").encode("utf-8")
    rf = serve_derived(server, monkeypatch, "rt_polarity/rt-polarity.pos", archive,
                       "rt-polaritydata/rt-polarity.pos", expected)
    fetch_files([rf], tmp_path)
    assert (tmp_path / rf.path).read_bytes() == expected


def test_convert_glue_rte_and_sst2(tmp_path: Path, server: Server,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    glue_rte = (b'index\tsentence1\tsentence2\tlabel\n0\tHe said "hi".\tHe spoke.\t'
                b'entailment\n1\tA\tB\tnot_entailment\n')
    glue_sst2 = b"sentence\tlabel\nhide new secretions \t0\na \" quoted \" one \t1\n"
    archive = zip_bytes({"RTE/train.tsv": glue_rte, "SST-2/train.tsv": glue_sst2})
    rte_expected = (b'sentence1\tsentence2\tlabel\tidx\n"He said ""hi""."\tHe spoke.\t0\t0\n'
                    b'A\tB\t1\t1\n')
    rf = serve_derived(server, monkeypatch, "rte/train.tsv", archive, "RTE/train.tsv",
                       rte_expected)
    sst2_expected = b'label\tsentence\r\n0\thide new secretions\r\n1\ta " quoted " one\r\n'
    sst2 = RemoteFile("sst2/train.tsv", sha(sst2_expected), rf.url, "SST-2/train.tsv")
    fetch_files([rf, sst2], tmp_path)
    assert (tmp_path / rf.path).read_bytes() == rte_expected
    assert (tmp_path / sst2.path).read_bytes() == sst2_expected


# ---------------------------------------------------------------------------------------------
# the mirror (../shared/data), when present


@needs_mirror
def test_pinned_checksums_match_the_mirror() -> None:
    for spec in DATASETS.values():
        for rf in spec.files:
            assert sha256_file(MIRROR / rf.path) == rf.sha256, rf.path
    for path, digest in PAYLOAD_SHA256.items():
        assert sha(gzip.decompress((MIRROR / path).read_bytes())) == digest, path


@needs_mirror
def test_fetch_dataset_from_the_mirror(tmp_path: Path) -> None:
    dest = fetch_dataset("tweet_emotion", tmp_path / "raw", mirror=MIRROR)
    assert all_files(dest) == sorted(rf.path for rf in DATASETS["tweet_emotion"].files)
    before = {p: (dest / p).stat().st_mtime_ns for p in all_files(dest)}
    fetch_dataset("tweet_emotion", dest, mirror=MIRROR)  # verified: nothing copied again
    assert before == {p: (dest / p).stat().st_mtime_ns for p in all_files(dest)}


def _rebuild_news_original(split: str) -> dict[str, bytes]:
    """The 20news-bydate layout rebuilt from the mirror CSV (Latin-1 files)."""
    csv.field_size_limit(sys.maxsize)
    text = gzip.decompress((MIRROR / "20newsgroups" / f"{split}.csv.gz").read_bytes())
    records = list(csv.DictReader(io.StringIO(text.decode("utf-8"), newline="")))
    return {f"20news-bydate-{split}/{r['group']}/{r['id']}": r["text"].encode("latin-1")
            for r in records}


@needs_mirror
def test_converters_reproduce_the_mirror(tmp_path: Path, server: Server) -> None:
    """Rebuild the public originals' layout from the mirror content, convert them back and
    check the pinned digests: the converters reproduce the mirror files byte for byte (or,
    for gzip, their payload)."""
    news = _rebuild_news_original("train") | _rebuild_news_original("test")
    server.routes["/news.tar"] = tar_gz_bytes(news, mode="w")  # plain tar: faster
    rt = {f"rt-polaritydata/{rf.path.split('/')[1]}":
          (MIRROR / rf.path).read_text(encoding="utf-8").encode("cp1252")
          for rf in DATASETS["rotten_tomatoes"].files}
    server.routes["/rt.tar.gz"] = tar_gz_bytes(rt)
    glue = {}
    for rf in DATASETS["rte"].files:
        lines = list(csv.reader(io.StringIO((MIRROR / rf.path).read_text(encoding="utf-8"),
                                            newline=""), delimiter="\t"))
        names = ["entailment", "not_entailment"]
        body = [f"{idx}\t{s1}\t{s2}\t{names[int(label)]}" for s1, s2, label, idx in lines[1:]]
        glue[rf.member] = "\n".join(["index\tsentence1\tsentence2\tlabel", *body, ""]).encode()
    sst2_lines = (MIRROR / "sst2" / "train.tsv").read_bytes().decode().split("\r\n")[1:-1]
    glue["SST-2/train.tsv"] = "".join(
        ["sentence\tlabel\n", *(f"{s} \t{lab}\n" for lab, s in
                                (line.split("\t") for line in sst2_lines))]).encode()
    server.routes["/glue.zip"] = zip_bytes(glue)

    url = {"20news_sports": "/news.tar", "rotten_tomatoes": "/rt.tar.gz",
           "rte": "/glue.zip", "sst2": "/glue.zip"}
    files = [RemoteFile(rf.path, rf.sha256, server.url(url[name]), rf.member)
             for name in url for rf in DATASETS[name].files if rf.path in DERIVED]
    assert len(files) == 8
    fetch_files(files, tmp_path)
    for rf in files:
        data = (tmp_path / rf.path).read_bytes()
        if rf.path in PAYLOAD_SHA256:
            assert sha(gzip.decompress(data)) == PAYLOAD_SHA256[rf.path], rf.path
        else:
            assert sha(data) == rf.sha256, rf.path
