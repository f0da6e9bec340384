"""Where a table's cells come from: a CSV file on disk, or records of any other form.

A resource's rows may be in a plain CSV file, a compressed one (``gz``, ``zip``), several
files (a ``path`` array), a file fetched over https (``--allow-remote``), inline ``data``,
JSON, NDJSON or a spreadsheet. :func:`open_table` turns each into either a local CSV file
(decompressed, joined or downloaded into a temporary folder), which the CSV loader reads as
usual, or a stream of ``(line, cells)`` records with their header, stored and checked like
re-parsed CSV rows. Anything else is refused with one line (:class:`Refused`).
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from semicon.schemas.model import Resource

#: the largest file fetched with ``allow_remote`` and the time allowed for it
REMOTE_MAX_BYTES = 100 << 20
REMOTE_TIMEOUT = 30.0

CSV_FORMATS = ("csv", "tsv", "txt")
JSON_FORMATS = ("json",)
NDJSON_FORMATS = ("ndjson", "jsonl")
EXCEL_FORMATS = ("xlsx", "xlsm")
COMPRESSIONS = ("gz", "zip")


class Refused(Exception):
    """A resource whose rows cannot be read: ``code`` and a one-line message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Table:
    """A resource's rows: a local CSV ``file`` or ``records`` with their ``header``.

    ``original`` is the file whose size and hash the descriptor declares (the compressed
    file, the download); ``None`` where there is no single such file.
    """

    file: Path | None = None
    original: Path | None = None
    header: list[str] | None = None
    records: Iterable[tuple[int, list[str]]] | None = None
    format: str = "csv"
    notes: list[str] = field(default_factory=list)


def is_remote(path: Any) -> bool:
    return isinstance(path, str) and path.lower().startswith(("http://", "https://"))


def table_format(res: dict[str, Any]) -> str:
    """The resource's format: declared, else the path's suffix (after a compression one)."""
    fmt = res.get("format")
    if isinstance(fmt, str) and fmt:
        return fmt.lower()
    path = res.get("path")
    if isinstance(path, list):
        path = path[0] if path else ""
    if not isinstance(path, str):
        return "inline" if "data" in res else ""
    suffixes = [s.lstrip(".").lower() for s in Path(path.split("?")[0]).suffixes]
    while suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def compression_of(res: dict[str, Any], path: str) -> str | None:
    comp = res.get("compression")
    if isinstance(comp, str) and comp:
        return comp.lower()
    suffix = Path(path.split("?")[0]).suffix.lstrip(".").lower()
    return suffix if suffix in COMPRESSIONS else None


def open_table(base: Path, res: Resource, tmp: Path, *,
               allow_remote: bool = False) -> Table:
    """The rows of resource ``res`` (paths already checked safe): see the module's doc."""
    fmt = table_format(res)
    path = res.get("path")
    if path is None and "data" in res:
        return Table(records=inline_records(res.get("data"), res), format="inline")
    paths = path if isinstance(path, list) else [path]
    if not paths or not all(isinstance(p, str) for p in paths):
        raise Refused("resource-error", f'Resource "{res.get("name")}" has no usable path')
    name = str(res.get("name"))
    stem = _stem(res)
    local: list[Path] = []
    for i, p in enumerate(paths):
        if is_remote(p):
            if not allow_remote:
                raise Refused("unsafe-path", f'Refused remote path "{p}" of resource "{name}": '
                              "pass --allow-remote to fetch it over https")
            target = tmp / f"{stem}-{i}-remote{Path(p.split('?')[0]).suffix}"
            fetch(p, target)
            local.append(target)
        else:
            local.append(base / p)
    for p, f in zip(paths, local, strict=True):
        if not f.is_file():
            raise Refused("missing-file", f'File "{p}" of resource "{name}" does not exist')
    plain = [_decompressed(res, p, f, tmp, i)
             for i, (p, f) in enumerate(zip(paths, local, strict=True))]
    original = local[0] if len(local) == 1 else None
    if len(plain) > 1:
        # each CSV part carries the header row, as frictionless reads them
        dialect = res.get("dialect") if isinstance(res.get("dialect"), dict) else {}
        headers = fmt in (*CSV_FORMATS, "") and dialect.get("header", True) is not False
        plain = [_joined(plain, tmp / f"{stem}-joined", skip_headers=headers)]
    file = plain[0]
    if fmt in CSV_FORMATS or fmt == "":
        return Table(file=file, original=original, format=fmt or "csv")
    if fmt in JSON_FORMATS:
        return Table(records=json_records(file, res), original=original, format=fmt)
    if fmt in NDJSON_FORMATS:
        return Table(records=ndjson_records(file, res), original=original, format=fmt)
    if fmt in EXCEL_FORMATS:
        return Table(records=excel_records(file, res), original=original, format=fmt)
    raise Refused("unsupported-resource",
                  f'Resource "{name}" has format "{fmt}", which is not read: give it as CSV, '
                  "JSON, NDJSON or XLSX")


def _stem(res: dict[str, Any]) -> str:
    """The start of a resource's file names in ``tmp``: its position and a safe form of its
    name (names may clash once made safe; resources may be loaded side by side)."""
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(res.get("name")))
    return f"{getattr(res, 'index', 0)}-{name[:64]}"


def _decompressed(res: dict[str, Any], path: str, file: Path, tmp: Path, i: int) -> Path:
    comp = compression_of(res, path)
    if comp is None:
        return file
    target = tmp / f"{_stem(res)}-{i}-{Path(path).stem}"
    try:
        if comp == "gz":
            with gzip.open(file, "rb") as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        elif comp == "zip":
            with zipfile.ZipFile(file) as zf:
                members = [m for m in zf.infolist() if not m.is_dir()]
                if len(members) != 1:
                    raise Refused("resource-error",
                                  f'Zipped file "{path}" holds {len(members)} files, not one')
                with zf.open(members[0]) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        else:
            raise Refused("resource-error", f'Compression "{comp}" of "{path}" is not known '
                          '(only "gz" and "zip")')
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise Refused("resource-error", f'File "{path}" cannot be decompressed as "{comp}": '
                      f"{exc}") from None
    return target


def _joined(parts: list[Path], target: Path, *, skip_headers: bool) -> Path:
    """The parts of a multipart resource, one after the other (a line break between);
    with ``skip_headers``, the first line of every part after the first is left out."""
    with target.open("wb") as dst:
        for i, part in enumerate(parts):
            with part.open("rb") as src:
                if skip_headers and i > 0:
                    src.readline()
                last = b""
                while block := src.read(1 << 20):
                    dst.write(block)
                    last = block[-1:]
            if last and last not in (b"\n", b"\r"):
                dst.write(b"\n")
    return target


def fetch(url: str, target: Path, *, max_bytes: int | None = None,
          timeout: float | None = None) -> None:
    """Download ``url`` (https only) to ``target``, refusing what is too large or too slow."""
    import time
    import urllib.error
    import urllib.request

    max_bytes = REMOTE_MAX_BYTES if max_bytes is None else max_bytes
    timeout = REMOTE_TIMEOUT if timeout is None else timeout
    if not url.lower().startswith("https://"):
        raise Refused("unsafe-path", f'Refused "{url}": only https is fetched')
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, target.open("wb") as out:
            if not resp.geturl().lower().startswith("https://"):
                raise Refused("unsafe-path", f'Refused "{url}": redirected away from https')
            size = 0
            # read1: what has arrived, so that a trickle cannot outlast the time limit
            while block := resp.read1(1 << 16):
                size += len(block)
                if size > max_bytes:
                    raise Refused("resource-error",
                                  f'"{url}" is larger than {max_bytes} bytes: not fetched')
                if time.monotonic() - started > timeout:
                    raise Refused("resource-error",
                                  f'"{url}" took more than {timeout:g} s: not fetched')
                out.write(block)
    except Refused:
        target.unlink(missing_ok=True)
        raise
    except (OSError, ValueError, urllib.error.URLError) as exc:
        target.unlink(missing_ok=True)
        raise Refused("resource-error", f'"{url}" could not be fetched: {exc}') from None


# ------------------------------------------------------------------------------ records
def cell_text(value: Any) -> str:
    """A JSON or spreadsheet value as the text a CSV would hold (null -> '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:-9] if text.endswith("T00:00:00") else text
    return str(value)


def _keyed_or_rows(items: Iterator[tuple[int, Any]], res: Resource
                   ) -> Iterator[tuple[int, list[str]]]:
    """(line, header/row) from JSON rows: arrays (the first is the header) or objects
    (the header is the schema's field names, else the first object's keys)."""
    first = next(items, None)
    if first is None:
        return
    first_line, item = first
    if isinstance(item, dict):
        header = res.field_names or [str(k) for k in item]
        yield 1, header
        for line, obj in _chain([(first_line, item)], items):
            if not isinstance(obj, dict):
                raise Refused("resource-error", f"Row at line {line} is not an object")
            yield line, [cell_text(obj.get(h)) for h in header]
        return
    if not isinstance(item, list):
        raise Refused("resource-error", "Rows must be arrays or objects")
    yield first_line, [cell_text(v) for v in item]
    for line, row in items:
        if not isinstance(row, list):
            raise Refused("resource-error", f"Row at line {line} is not an array")
        yield line, [cell_text(v) for v in row]


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


class Records:
    """Records with their header: iterate for ``(line, cells)``; ``header`` is known first."""

    def __init__(self, rows: Iterator[tuple[int, list[str]]]) -> None:
        first = next(rows, None)
        self.header: list[str] = first[1] if first else []
        self.rows = rows

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self.rows


def inline_records(data: Any, res: Resource) -> Records:
    """Inline ``data``: row n is line n (the header row, or the first object, is line 1)."""
    if not isinstance(data, list):
        raise Refused("resource-error", f'Inline data of resource "{res.get("name")}" is not '
                      "a list of rows")
    items = iter(enumerate(data, start=1))
    if data and isinstance(data[0], dict):
        items = iter(enumerate(data, start=2))
    return Records(_keyed_or_rows(items, res))


def read_encoding(res: Resource) -> tuple[str, str | None]:
    """The codec a resource's file is read with, and the declared encoding when Python
    knows no codec of that name (``encoding-error``; the file is then read as UTF-8)."""
    declared = res.get("encoding")
    if declared is None or declared == "":
        return "utf-8", None
    name = str(declared)
    try:
        codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        return "utf-8", name
    return name, None


def json_records(file: Path, res: Resource) -> Records:
    """A JSON file holding the rows (or an object holding them under ``dialect.property``)."""
    try:
        data = json.loads(file.read_text(encoding=read_encoding(res)[0]))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused("resource-error", f'File of resource "{res.get("name")}" is not valid '
                      f"JSON: {exc}") from None
    dialect = res.get("dialect") if isinstance(res.get("dialect"), dict) else {}
    prop = dialect.get("property")
    if isinstance(prop, str) and isinstance(data, dict):
        for key in prop.split("."):
            data = data.get(key) if isinstance(data, dict) else None
    return inline_records(data, res)


def ndjson_records(file: Path, res: Resource) -> Records:
    """One JSON array or object a line; the line numbers are the file's."""
    encoding = read_encoding(res)[0]

    def items() -> Iterator[tuple[int, Any]]:
        with file.open(encoding=encoding, errors="strict") as fh:
            for number, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                try:
                    yield number, json.loads(text)
                except json.JSONDecodeError as exc:
                    raise Refused("resource-error",
                                  f"Line {number} is not valid JSON: {exc}") from None

    rows = items()
    peek = next(rows, None)
    if peek is None:
        return Records(iter(()))
    if isinstance(peek[1], dict):
        header = res.field_names or [str(k) for k in peek[1]]

        def keyed() -> Iterator[tuple[int, list[str]]]:
            yield 1, header
            for number, obj in _chain([peek], rows):
                if not isinstance(obj, dict):
                    raise Refused("resource-error", f"Line {number} is not an object")
                yield number, [cell_text(obj.get(h)) for h in header]

        return Records(keyed())
    return Records(_keyed_or_rows(_chain([peek], rows), res))


def excel_records(file: Path, res: dict[str, Any]) -> Records:
    """An XLSX sheet (``dialect.sheet``: a name or a 1-based number; the first by default)."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency
        raise Refused("unsupported-resource", "Reading XLSX needs openpyxl") from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(file.read_bytes()), read_only=True,
                                      data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise Refused("resource-error", f'File of resource "{res.get("name")}" is not a '
                      f"readable XLSX workbook: {exc}") from None
    dialect = res.get("dialect") if isinstance(res.get("dialect"), dict) else {}
    sheet = dialect.get("sheet", 1)
    try:
        ws = book[sheet] if isinstance(sheet, str) else book.worksheets[int(sheet) - 1]
    except (KeyError, IndexError, ValueError, TypeError):
        raise Refused("resource-error", f'Sheet "{sheet}" is not in the workbook') from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            yield number, cells

    return Records(rows())
