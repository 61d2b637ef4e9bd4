"""Materialise a dataset's raw files, from a local mirror or from their public URLs.

``fetch_dataset(name, dest)`` puts every file of the dataset under ``dest`` in the mirror
layout (``dest/sst/train.txt`` ...) and checks its pinned sha256. Each file is written to a
temporary file in its final folder and moved into place with ``os.replace`` only once its
checksum is right, so a failure never leaves a partial file behind. Files already present
with the right checksum are not fetched again.

Where the files come from:

* a mirror folder laid out like ``../shared/data`` (argument ``mirror``, else the environment
  variable ``SEAT_DATA_MIRROR``): files are copied;
* otherwise the public URL of each file (``seatlib.data.sources``): downloaded once per URL by
  ``pooch`` (HTTP, timeout, retries, and the pinned sha256 of a file that is served as is),
  into a temporary folder, then copied, read from a zip/tar archive (``member``), or converted
  into the mirror layout by one of the converters below (files listed in ``sources.DERIVED``).

What stays our own, and why: the mirror copy (pooch has no downloader for a local folder);
the archive members (pooch's ``Untar`` on Python 3.11 writes ``../`` and absolute member
names and links outside its folder, and ``Unzip`` silently renames such members; we read the
one member the spec names into memory, refuse unsafe names, and write only ``dest/<path>``);
the converters, and the payload digest of derived gzip files.

All errors are one-line :class:`DataError` messages.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import logging
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import pooch
import requests

from seatlib.data.sources import DERIVED, MIRROR_ONLY, PAYLOAD_SHA256, RemoteFile, get_spec

log = logging.getLogger(__name__)

MIRROR_ENV = "SEAT_DATA_MIRROR"
MIRROR_ADVICE = (
    "to use a local mirror set `data.mirror: /path/to/mirror` in config.yaml or export "
    "SEAT_DATA_MIRROR=/path/to/mirror (a folder laid out like ../shared/data, see its README)"
)
RETRIES = 2  # further attempts after a failed or corrupted download (pooch waits 1 s, 2 s, ..)
_CHUNK = 1 << 20


class DataError(Exception):
    """A raw data file could not be fetched or failed its checksum (one-line message)."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def sha256_file(path: Path | str) -> str:
    return pooch.file_hash(str(path), alg="sha256")


def _payload_sha256(path: Path) -> str | None:
    """sha256 of a gzip file's decompressed bytes; None when it is not valid gzip."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return digest.hexdigest()


def _verify(path: Path, rf: RemoteFile) -> tuple[bool, str]:
    """(ok, actual file digest). Derived gzip files may instead match their payload digest."""
    actual = sha256_file(path)
    if actual == rf.sha256:
        return True, actual
    payload = PAYLOAD_SHA256.get(rf.path)
    if payload is not None and _payload_sha256(path) == payload:
        return True, actual
    return False, actual


def _mismatch(rf: RemoteFile, origin: str, actual: str) -> DataError:
    payload = PAYLOAD_SHA256.get(rf.path)
    expected = f"sha256 {rf.sha256}"
    if payload is not None:
        expected += f" (or decompressed payload sha256 {payload})"
    return DataError(f"checksum mismatch for {rf.path} (from {origin}): expected {expected}, "
                     f"got sha256 {actual}")


def _atomic_write(target: Path, produce: Callable[[BinaryIO], None], rf: RemoteFile,
                  origin: str) -> None:
    """Write target through a temporary file in its folder; keep it only if verified."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                    suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            produce(out)
        ok, actual = _verify(tmp, rf)
        if not ok:
            raise _mismatch(rf, origin, actual)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _copy_file(src: Path) -> Callable[[BinaryIO], None]:
    def produce(out: BinaryIO) -> None:
        with open(src, "rb") as fh:
            shutil.copyfileobj(fh, out, _CHUNK)

    return produce


def _resolve_mirror(mirror: Path | str | None) -> Path | None:
    if mirror is None or str(mirror) == "":
        mirror = os.environ.get(MIRROR_ENV) or None
    if mirror is None:
        return None
    mirror = Path(mirror).expanduser()
    if not mirror.is_dir():
        raise DataError(f"mirror folder {mirror} does not exist (expected a folder laid out "
                        "like ../shared/data, see its README)")
    return mirror


def _from_mirror(rf: RemoteFile, target: Path, mirror: Path) -> None:
    src = mirror / rf.path
    if not src.is_file():
        raise DataError(f"mirror file {src} is missing (needed for {rf.path}; the mirror must "
                        "be laid out like ../shared/data)")
    _atomic_write(target, _copy_file(src), rf, str(src))


# ---------------------------------------------------------------------------------------------
# downloads (pooch)

_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")
_POOCH_GOT = re.compile(r"does not match the known hash: expected \S+ but got ([0-9a-f]{64})")


def _reason(err: requests.RequestException, timeout: float) -> str:
    if isinstance(err, requests.HTTPError) and err.response is not None:
        return f"HTTP {err.response.status_code}"
    if isinstance(err, requests.Timeout):
        return f"no answer within {timeout:g} s"
    text = _one_line(err)
    errno = _ERRNO.search(text)
    return errno.group(0).strip() if errno else (text or type(err).__name__)


def _download(url: str, folder: Path, timeout: float, retries: int,
              rf: RemoteFile | None = None) -> Path:
    """Download url into folder with pooch; rf: the file it is (its sha256 is checked on each
    attempt, so a corrupted download is retried too); None for an archive whose digest is not
    pinned (its members are checked instead). DataError with the mirror advice on failure."""
    name = hashlib.sha256(url.encode()).hexdigest()[:16] + "-" + url.rsplit("/", 1)[-1][-60:]
    known = None if rf is None else f"sha256:{rf.sha256}"
    fetcher = pooch.create(path=folder, base_url="", registry={name: known}, urls={name: url},
                           retry_if_failed=retries)
    downloader = pooch.HTTPDownloader(timeout=timeout, chunk_size=_CHUNK, progressbar=False,
                                      headers={"User-Agent": "seatlib"})
    try:
        path = Path(fetcher.fetch(name, downloader=downloader))
    except requests.RequestException as err:
        raise DataError(f"could not reach {url} ({_reason(err, timeout)}); "
                        f"{MIRROR_ADVICE}") from None
    except ValueError as err:  # pooch: the sha256 of the last attempt did not match
        got = _POOCH_GOT.search(str(err))
        if rf is None or got is None:
            raise DataError(f"could not fetch {url}: {_one_line(err)}") from None
        raise _mismatch(rf, url, got.group(1)) from None
    log.info("downloaded %s", url)
    return path


# ---------------------------------------------------------------------------------------------
# archives: read the named member into memory, never extract by the archive's own names


def _unsafe(name: str) -> bool:
    """An absolute name or one with a `..` part (it could point outside any target folder)."""
    pure = PurePosixPath(name.replace("\\", "/"))
    return pure.is_absolute() or ".." in pure.parts


def _check_member(member: str, kind: str, url: str) -> None:
    if _unsafe(member):
        raise DataError(f"unsafe member name {member} in the {kind} archive from {url} "
                        "(absolute or with ..): refused")


def _read_member(archive: Path, member: str, url: str) -> bytes:
    buf = io.BytesIO()
    _extract_member(archive, member, url, buf)
    return buf.getvalue()


def _extract_member(archive: Path, member: str, url: str, out: BinaryIO) -> None:
    try:
        if zipfile.is_zipfile(archive):
            _check_member(member, "zip", url)
            with zipfile.ZipFile(archive) as zf:
                try:
                    info = zf.getinfo(member)
                except KeyError:
                    raise DataError(f"member {member} not found in the zip archive from "
                                    f"{url}") from None
                with zf.open(info) as src:
                    shutil.copyfileobj(src, out, _CHUNK)
            return
        if tarfile.is_tarfile(archive):
            _check_member(member, "tar", url)
            with tarfile.open(archive, "r:*") as tf:
                try:
                    info = tf.getmember(member)
                except KeyError:
                    raise DataError(f"member {member} not found in the tar archive from "
                                    f"{url}") from None
                src = tf.extractfile(info) if info.isfile() else None
                if src is None:
                    raise DataError(f"member {member} of the tar archive from {url} is not a "
                                    "regular file")
                shutil.copyfileobj(src, out, _CHUNK)
            return
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as err:
        raise DataError(f"could not read the archive from {url}: {_one_line(err)}") from None
    raise DataError(f"{url} is not a zip or tar archive (member {member} was requested)")


def _iter_tar_folder(archive: Path, folder: str, url: str, read: bool = True
                     ) -> Iterator[tuple[str, bytes]]:
    """(path relative to folder, content or b"" when not read) of every regular file under
    folder in a tar; an unsafe name under folder is refused."""
    prefix = folder.rstrip("/") + "/"
    found = False
    try:
        with tarfile.open(archive, "r:*") as tf:
            for info in tf:
                name = info.name[2:] if info.name.startswith("./") else info.name
                if not name.startswith(prefix):
                    continue
                _check_member(info.name, "tar", url)
                if not info.isfile():
                    continue
                found = True
                if not read:
                    yield name[len(prefix):], b""
                    continue
                src = tf.extractfile(info)
                if src is not None:
                    yield name[len(prefix):], src.read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(f"could not read the tar archive from {url}: {_one_line(err)}") from None
    if not found:
        raise DataError(f"folder {folder} not found in the tar archive from {url}")


# ---------------------------------------------------------------------------------------------
# converters: original public file -> mirror layout (see docs/datasets.md)


def _text_out(out: BinaryIO) -> io.TextIOWrapper:
    return io.TextIOWrapper(out, encoding="utf-8", newline="")


def _gzip_out(out: BinaryIO, rf: RemoteFile) -> gzip.GzipFile:
    inner = Path(rf.path).name.removesuffix(".gz")
    return gzip.GzipFile(filename=inner, mode="wb", fileobj=out, compresslevel=6, mtime=0)


def _glue_lines(archive: Path, rf: RemoteFile) -> list[list[str]]:
    assert rf.member is not None
    text = _read_member(archive, rf.member, rf.url).decode("utf-8")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]


def _convert_glue_sst2_train(archive: Path, rf: RemoteFile, out: BinaryIO) -> None:
    """GLUE SST-2 train.tsv (sentence<TAB>label) -> label<TAB>sentence, stripped, CRLF."""
    rows = _glue_lines(archive, rf)
    if not rows or rows[0] != ["sentence", "label"]:
        raise DataError(f"unexpected header in {rf.member} from {rf.url}: expected "
                        "sentence<TAB>label")
    text = _text_out(out)
    text.write("label\tsentence\r\n")
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise DataError(f"{rf.member} from {rf.url} line {lineno}: expected 2 fields")
        text.write(f"{row[1].strip()}\t{row[0].strip()}\r\n")
    text.flush()
    text.detach()


_RTE_LABELS = {"entailment": "0", "not_entailment": "1"}


def _convert_glue_rte(archive: Path, rf: RemoteFile, out: BinaryIO) -> None:
    """GLUE RTE (index, sentence1, sentence2, label words) -> sentence1, sentence2,
    label (0 entailment, 1 not_entailment, -1 unlabelled), idx; CSV quoting, LF."""
    rows = _glue_lines(archive, rf)
    if not rows or rows[0][:3] != ["index", "sentence1", "sentence2"]:
        raise DataError(f"unexpected header in {rf.member} from {rf.url}")
    labelled = len(rows[0]) == 4
    text = _text_out(out)
    writer = csv.writer(text, delimiter="\t", lineterminator="\n")
    writer.writerow(["sentence1", "sentence2", "label", "idx"])
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]) or (labelled and row[3] not in _RTE_LABELS):
            raise DataError(f"{rf.member} from {rf.url} line {lineno}: malformed row")
        label = _RTE_LABELS[row[3]] if labelled else "-1"
        writer.writerow([row[1], row[2], label, row[0]])
    text.flush()
    text.detach()


def _convert_cp1252_to_utf8(archive: Path, rf: RemoteFile, out: BinaryIO) -> None:
    """rt-polarity files are Windows-1252; the mirror holds them as UTF-8."""
    assert rf.member is not None
    raw = _read_member(archive, rf.member, rf.url)
    try:
        out.write(raw.decode("cp1252").encode("utf-8"))
    except UnicodeDecodeError as err:
        raise DataError(f"{rf.member} from {rf.url} is not Windows-1252 text: "
                        f"{_one_line(err)}") from None


_IMDB_NAME = re.compile(r"(neg|pos)/(\d+)_(\d+)\.txt")


def _convert_imdb_csv(archive: Path, rf: RemoteFile, out: BinaryIO) -> None:
    """aclImdb/<split>/{neg,pos}/<n>_<rating>.txt -> CSV id,label,rating,text (neg first,
    then by n), csv-module quoting with CRLF records, gzip-compressed."""
    assert rf.member is not None
    split = rf.member.rstrip("/").rsplit("/", 1)[-1]
    rows = []
    for name, content in _iter_tar_folder(archive, rf.member, rf.url):
        match = _IMDB_NAME.fullmatch(name)
        if match is None:
            continue
        polarity, n, rating = match.group(1), int(match.group(2)), match.group(3)
        rows.append((polarity, n, rating, content.decode("utf-8")))
    rows.sort(key=lambda r: (r[0], r[1]))
    with _gzip_out(out, rf) as gz:
        text = _text_out(gz)  # type: ignore[arg-type]
        writer = csv.writer(text)
        writer.writerow(["id", "label", "rating", "text"])
        for polarity, n, rating, body in rows:
            writer.writerow([f"{split}_{polarity}_{n}", int(polarity == "pos"), rating, body])
        text.flush()
        text.detach()


def _convert_news_csv(archive: Path, rf: RemoteFile, out: BinaryIO) -> None:
    """20news-bydate-<split>/<group>/<id> -> CSV id,label,group,text sorted by group then id;
    label = index of the group in the sorted group list; text decoded as Latin-1."""
    assert rf.member is not None
    rows = []
    for name, content in _iter_tar_folder(archive, rf.member, rf.url):
        parts = name.split("/")
        if len(parts) != 2 or not parts[1].isdigit():
            continue
        rows.append((parts[0], int(parts[1]), content.decode("latin-1")))
    groups = sorted({r[0] for r in rows})
    rows.sort(key=lambda r: (r[0], r[1]))
    with _gzip_out(out, rf) as gz:
        text = _text_out(gz)  # type: ignore[arg-type]
        writer = csv.writer(text)
        writer.writerow(["id", "label", "group", "text"])
        for group, n, body in rows:
            writer.writerow([n, groups.index(group), group, body])
        text.flush()
        text.detach()


def _convert_news_classes(archive: Path, rf: RemoteFile, out: BinaryIO) -> None:
    """classes.txt: the sorted newsgroup folder names, one a line."""
    assert rf.member is not None
    names = (name for name, _ in _iter_tar_folder(archive, rf.member, rf.url, read=False))
    groups = {name.split("/")[0] for name in names if "/" in name}
    out.write("".join(f"{g}\n" for g in sorted(groups)).encode("utf-8"))


CONVERTERS: dict[str, Callable[[Path, RemoteFile, BinaryIO], None]] = {
    "glue_sst2_train": _convert_glue_sst2_train,
    "glue_rte": _convert_glue_rte,
    "cp1252_to_utf8": _convert_cp1252_to_utf8,
    "imdb_csv": _convert_imdb_csv,
    "news_csv": _convert_news_csv,
    "news_classes": _convert_news_classes,
}


def _from_url(rf: RemoteFile, target: Path, workdir: Path, cache: dict[str, Path],
              timeout: float, retries: int) -> None:
    if rf.path in MIRROR_ONLY:
        raise DataError(f"{rf.path} has no public source that reproduces it (origin: "
                        f"{rf.url}); {MIRROR_ADVICE}")
    converter = DERIVED.get(rf.path)
    plain = converter is None and rf.member is None
    if rf.url not in cache:
        log.info("downloading %s", rf.url)
        cache[rf.url] = _download(rf.url, workdir, timeout, retries, rf if plain else None)
    src = cache[rf.url]
    origin = rf.url if rf.member is None else f"{rf.url} member {rf.member}"
    if converter is not None:
        convert = CONVERTERS[converter]

        def produce(out: BinaryIO) -> None:
            try:
                convert(src, rf, out)
            except (UnicodeDecodeError, ValueError, csv.Error) as err:
                raise DataError(f"could not convert {rf.path} from {origin}: "
                                f"{_one_line(err)}") from None
    elif rf.member is not None:
        member = rf.member

        def produce(out: BinaryIO) -> None:
            _extract_member(src, member, rf.url, out)
    else:
        produce = _copy_file(src)

    _atomic_write(target, produce, rf, origin)


def fetch_files(files: Iterable[RemoteFile], dest: Path | str, mirror: Path | str | None = None,
                timeout: float = 60.0, retries: int | None = None) -> Path:
    """Materialise files under dest (mirror layout), verified; return dest. retries: further
    attempts of a failed download (default RETRIES)."""
    dest = Path(dest)
    retries = RETRIES if retries is None else retries
    files = list(files)
    for rf in files:
        if _unsafe(rf.path):
            raise DataError(f"unsafe file path {rf.path} (absolute or with ..): refused")
    dest.mkdir(parents=True, exist_ok=True)
    todo = []
    for rf in files:
        target = dest / rf.path
        if target.is_file():
            if _verify(target, rf)[0]:
                log.info("%s already present and verified", rf.path)
                continue
            log.warning("%s is present but its checksum is wrong: fetching it again", rf.path)
        todo.append(rf)
    if not todo:
        return dest
    mirror_dir = _resolve_mirror(mirror)
    if mirror_dir is not None:
        for rf in todo:
            _from_mirror(rf, dest / rf.path, mirror_dir)
            log.info("copied %s from mirror %s", rf.path, mirror_dir)
        return dest
    with tempfile.TemporaryDirectory(prefix="seatlib-download-") as tmp:
        cache: dict[str, Path] = {}
        for rf in todo:
            _from_url(rf, dest / rf.path, Path(tmp), cache, timeout, retries)
            log.info("fetched %s", rf.path)
    return dest


def fetch_dataset(name: str, dest: Path | str, mirror: Path | str | None = None,
                  timeout: float = 60.0, retries: int | None = None) -> Path:
    """Materialise every raw file of a built-in dataset under dest; return dest."""
    return fetch_files(get_spec(name).files, dest, mirror=mirror, timeout=timeout,
                       retries=retries)
