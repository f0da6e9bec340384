"""Assemble a reproducible release zip of the data package (`semicon package`).

The zip ``<name>-<version>.zip`` holds one folder ``<name>-<version>/`` with:

- ``datapackage.json``: the descriptor, with ``bytes`` and ``hash`` (``sha256:<hex>``) of
  every file it lists. The CSVs are tabular resources; the Parquet files, the DuckDB and
  SQLite databases and the declared source documents are listed as ``"type": "file"``
  resources, which ``frictionless validate`` checks by size and hash without trying to read
  them as tables (a Parquet file declared as a table fails its byte-count check in
  frictionless 5.21);
- ``data/*.csv``, ``parquet/*.parquet``, ``<name>.duckdb``, ``<name>.db``, and the text of
  every source document the package declares (``semicon.provenance``) at its path;
- ``README.md``, ``LICENSE``, ``CITATION.cff`` generated from the descriptor;
- ``SHA256SUMS`` (``sha256sum -c SHA256SUMS`` from inside the folder).

Same inputs give the same entries byte for byte, except the DuckDB file (DuckDB writes
random identifiers into every file; ``semicon validate`` checks it by content): entries are
sorted, timestamps are taken from ``SOURCE_DATE_EPOCH`` or the package's ``created`` date
(clamped to the zip epoch 1980-01-01), permissions and the compression level are fixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.build.release_docs import render_citation, render_license, render_readme
from semicon.build.release_time import SourceDateError, release_time
from semicon.schemas.errors import SemiconError, UnusableInput
from semicon.schemas.interrupts import reraise_interrupt
from semicon.schemas.model import DescriptorError, Package, load_package
from semicon.schemas.package import sha256_hex

DESCRIPTOR_NAME = "datapackage.json"
SUMS_NAME = "SHA256SUMS"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
COMPRESSLEVEL = 9
CHUNK = 1 << 20

MEDIATYPES: dict[str, str] = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "duckdb": "application/vnd.duckdb",
    "sqlite": "application/vnd.sqlite3",
    "db": "application/vnd.sqlite3",
    "txt": "text/plain",
    "md": "text/markdown",
    "pdf": "application/pdf",
    "html": "text/html",
    "json": "application/json",
}

#: why the DuckDB file has no checksum (in its resource's description and the README)
DUCKDB_NOTE = (
    "DuckDB writes random identifiers into every database file, so two builds of the same "
    "data differ in a few bytes: this file has no `bytes` or `hash` here and no line in "
    "SHA256SUMS. `semicon validate` on the unzipped folder checks it by content instead "
    "(every table's rows against the CSVs)."
)

Builder = Callable[..., Any]
Log = Callable[[str], None]


class ReleaseError(UnusableInput):
    """The package cannot be released (missing files, unusable descriptor, failed build)."""


@dataclass(frozen=True)
class ReleaseFile:
    """One file of the release folder."""

    path: str  # relative to the release folder, POSIX separators
    size: int
    sha256: str  # hex digest


@dataclass
class ReleaseResult:
    """What `make_release` wrote."""

    zip_path: Path
    folder: str  # top-level folder inside the zip
    files: list[ReleaseFile] = field(default_factory=list)
    sha256: str = ""  # of the zip itself
    built: bool = False  # whether the build ran first
    build_reasons: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- descriptor


def load_release_package(package: str | os.PathLike[str]) -> Package:
    """The package, parsed once by :mod:`semicon.schemas.model`; ``ReleaseError`` when it
    cannot be used as it stands."""
    try:
        parsed = load_package(package)
    except DescriptorError as exc:
        raise ReleaseError(str(exc)) from None
    if parsed.errors:
        raise ReleaseError(parsed.errors[0].message)
    return parsed


def _parsed(package: Package | str | os.PathLike[str]) -> Package:
    """``package`` itself when already parsed, else :func:`load_release_package` of it."""
    return package if isinstance(package, Package) else load_release_package(package)


def _safe_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.") or "package"


def release_stem(package: Package | Mapping[str, Any] | str | os.PathLike[str]) -> str:
    """``<name>-<version>`` (``<name>`` when the package has no version)."""
    if isinstance(package, Package):
        name, version = package.name, package.version
    elif isinstance(package, Mapping):  # a release descriptor, as written
        name, version = package.get("name"), package.get("version")
    else:
        return release_stem(load_release_package(package))
    name = _safe_part(str(name or "package"))
    return f"{name}-{_safe_part(str(version))}" if version else name


def release_filename(package: Package | Mapping[str, Any] | str | os.PathLike[str]) -> str:
    """The release zip's file name, e.g. ``semicon-nl-1.0.0.zip``.

    ``package`` is a parsed package, a descriptor dict, or a path to a descriptor or to its
    package folder.
    """
    return release_stem(package) + ".zip"


def _local_paths(base: Path, rel: Any) -> list[Path]:
    """The files of a resource path (several for a multipart one) inside the package
    folder; none for URLs or inline data. Unsafe paths raise :class:`ReleaseError`."""
    parts = rel if isinstance(rel, list) else [rel]
    found = [_local_path(base, part) for part in parts]
    return [p for p in found if p is not None] if all(found) else []


def _local_path(base: Path, rel: Any) -> Path | None:
    """A resource path inside the package folder, or None for URLs/inline data/unsafe paths."""
    if not isinstance(rel, str) or not rel or re.match(r"^[a-z][a-z0-9+.-]*://", rel):
        return None
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts:
        raise ReleaseError(f"unsafe resource path {rel!r}: must be relative, inside the package")
    return base / rel


def _date_time(descriptor: Mapping[str, Any]) -> tuple[int, int, int, int, int, int]:
    """Every entry's timestamp: :func:`release_time` (never the clock), clamped to zip's range."""
    try:
        when = release_time(descriptor)
    except SourceDateError as exc:
        raise ReleaseError(str(exc)) from None
    if when is None:
        return ZIP_EPOCH
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    if stamp < ZIP_EPOCH:
        return ZIP_EPOCH
    if stamp > (2107, 12, 31, 23, 59, 58):
        return (2107, 12, 31, 23, 59, 58)
    # Zip stores seconds in steps of two.
    return (*stamp[:5], stamp[5] - stamp[5] % 2)


# --------------------------------------------------------------------------- build step


def build_outputs(package: Package, build_dir: Path) -> dict[str, Path]:
    """The build outputs a release needs, keyed by their path inside the release."""
    name = package.name
    outputs: dict[str, Path] = {}
    for table in package.tables:
        outputs[f"parquet/{table.name}.parquet"] = build_dir / "parquet" / f"{table.name}.parquet"
    outputs[f"{name}.duckdb"] = build_dir / f"{name}.duckdb"
    outputs[f"{name}.db"] = build_dir / f"{name}.db"
    return outputs


def stale_reasons(source: Package | str | os.PathLike[str], build_dir: Path) -> list[str]:
    """Why the build outputs cannot be used as they are (empty when they are fresh)."""
    package = _parsed(source)
    outputs = build_outputs(package, build_dir)
    missing = [rel for rel, path in outputs.items() if not path.is_file()]
    if missing:
        return [f"missing {build_dir / rel}" for rel in missing]
    inputs = [package.path]
    for res in package.resources:
        inputs += [p for p in _local_paths(package.base_dir, res.path) if p.is_file()]
    newest_input = max(inputs, key=lambda p: p.stat().st_mtime_ns)
    oldest_output = min(outputs.values(), key=lambda p: p.stat().st_mtime_ns)
    if newest_input.stat().st_mtime_ns > oldest_output.stat().st_mtime_ns:
        return [f"{newest_input} is newer than {oldest_output}"]
    return []


def _default_builder() -> Builder:
    try:
        from semicon.build.pipeline import build_package
    except ImportError as exc:  # the pipeline is a separate module
        raise ReleaseError(f"cannot build: semicon.build.pipeline is unavailable ({exc})") from exc
    return build_package


def ensure_built(
    source: Package | str | os.PathLike[str],
    build_dir: Path,
    *,
    force: bool = False,
    builder: Builder | None = None,
    progress: bool = False,
    log: Log | None = None,
) -> list[str]:
    """Run the build unless its outputs are up to date; return why it ran ([] if it did not).

    The builder decides freshness itself (the pipeline compares input hashes with its
    manifest and returns a result with ``skipped=True`` when nothing changed), so touching
    a file does not force a rebuild, and a DuckDB file that is not byte-identical across
    builds is only rewritten when the data changed. Afterwards every output the release
    needs must exist.
    """
    package = _parsed(source)
    before = ["--force-build"] if force else stale_reasons(package, build_dir)
    build = builder or _default_builder()
    try:
        result = build(package, build_dir, force=force, progress=progress)
    except SemiconError:
        raise  # a release or build error, an invalid package: worded where it was raised
    except Exception as exc:
        reraise_interrupt(exc)
        hint = " (`semicon build` lists the findings)" if "Validation" in type(exc).__name__ else ""
        raise ReleaseError(f"the build failed: {type(exc).__name__}: {exc}{hint}") from exc
    missing = [r for r in stale_reasons(package, build_dir) if r.startswith("missing")]
    if missing:
        raise ReleaseError("the build did not write " + "; ".join(missing))
    if getattr(result, "skipped", False):
        return []
    reasons = before or ["the build reported changed inputs"]
    if log:
        log(f"built {build_dir}: {reasons[0]}")
    return reasons


# --------------------------------------------------------------------------- files


def count_rows(parquet_file: Path) -> int:
    """Rows of a table, from the footer of the Parquet file the build wrote (the build's
    parity check has matched it with the source, whatever the source's format)."""
    import pyarrow.parquet as pq

    return int(pq.read_metadata(parquet_file).num_rows)


def _format_of(path: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"db": "sqlite"}.get(suffix, suffix or "bin")


def _resource_name(taken: set[str], wanted: str) -> str:
    base = re.sub(r"[^a-z0-9._-]+", "-", wanted.lower()).strip("-") or "file"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name)
    return name


def _file_resource(name: str, path: str, title: str, description: str) -> dict[str, Any]:
    fmt = _format_of(path)
    return {
        "name": name,
        "type": "file",
        "path": path,
        "title": title,
        "description": description,
        "format": fmt,
        "mediatype": MEDIATYPES.get(fmt, "application/octet-stream"),
    }


def declared_documents(package: Package) -> dict[str, str]:
    """Package-relative path -> title of each declared source document with a text file
    (the documents the site gives a reading page: one definition for both)."""
    from semicon.build.site_documents import package_documents

    try:
        found = package_documents(package)
    except ValueError as exc:
        raise ReleaseError(str(exc)) from None
    root = package.base_dir.resolve()
    return {text.relative_to(root).as_posix(): doc.title for doc, text in found}


@dataclass
class _Plan:
    """The release folder's files (path inside the folder -> source) and descriptor."""

    files: dict[str, Path]
    #: the release's ``datapackage.json``, as it is written
    descriptor: dict[str, Any]
    row_counts: dict[str, int]
    #: the package released, as parsed
    package: Package
    #: files that differ between builds of the same data (the DuckDB file): no `bytes`,
    #: `hash` or SHA256SUMS line; `semicon validate` checks them by content
    unhashed: set[str] = field(default_factory=set)
    #: the source documents' texts (``semicon.provenance``), paths inside the folder
    documents: list[str] = field(default_factory=list)


def plan_release(source: Package | str | os.PathLike[str], build_dir: Path) -> _Plan:
    """Decide what goes into the release and write the release descriptor (in memory)."""
    package = _parsed(source)
    base = package.base_dir
    # The release's datapackage.json is written as a dict: the descriptor as written, schema
    # and dialect files inlined (it reads alone), ``name`` filled in, the files added below.
    descriptor = package.inlined()
    name = package.name
    files: dict[str, Path] = {}
    resources = descriptor.get("resources")
    if not package.resources or not isinstance(resources, list):
        raise ReleaseError(f"{package.path} lists no resources")
    taken = {r.name for r in package.resources}
    listed: set[str] = set()
    unhashed: set[str] = set()

    for resource in package.resources:
        locals_ = _local_paths(base, resource.path)
        rels = []
        for local in locals_:
            if not local.is_file():
                raise ReleaseError(f"resource {resource.name!r}: file {local} does not exist")
            rel = local.relative_to(base).as_posix()
            rels.append(rel)
            files[rel] = local
            listed.add(rel)
        if rels:  # a multipart path stays a list; its parts are listed in SHA256SUMS
            resources[resource.index]["path"] = rels if isinstance(resource.path, list) else rels[0]
    if descriptor.get("profile") == "tabular-data-package":
        # the release adds file resources (Parquet, databases), which that v1 profile forbids
        descriptor["profile"] = "data-package"

    outputs = build_outputs(package, build_dir)
    row_counts = {t.name: count_rows(outputs[f"parquet/{t.name}.parquet"])
                  for t in package.tables}
    tables = {t.name: t for t in package.tables}
    added: list[dict[str, Any]] = []
    for rel, path in outputs.items():
        if rel in listed:
            continue
        files[rel] = path
        if rel.startswith("parquet/"):
            table = Path(rel).stem
            title = tables[table].title or table
            added.append(
                _file_resource(
                    _resource_name(taken, f"{table}-parquet"),
                    rel,
                    f"{title} (Parquet)",
                    f"The table `{table}` as Parquet, typed as in its Table Schema.",
                )
            )
        elif rel.endswith(".duckdb"):
            unhashed.add(rel)
            added.append(
                _file_resource(
                    _resource_name(taken, f"{name}-duckdb"),
                    rel,
                    "DuckDB database",
                    "Every table of the package in one DuckDB database. " + DUCKDB_NOTE,
                )
            )
        else:
            added.append(
                _file_resource(
                    _resource_name(taken, f"{name}-sqlite"),
                    rel,
                    "SQLite database",
                    "Every table of the package in one SQLite database.",
                )
            )

    # The source documents the package declares (``semicon.provenance``) whose text is a
    # file of the package; those already listed as resources are released as listed.
    documents = declared_documents(package)
    for rel, doc_title in documents.items():
        if rel in files:
            continue
        files[rel] = base / rel
        added.append(
            _file_resource(
                _resource_name(taken, Path(rel).stem),
                rel,
                doc_title,
                "The text of a source document the data was taken from.",
            )
        )
    resources.extend(added)

    for reserved in ("README.md", "LICENSE", "CITATION.cff", SUMS_NAME, DESCRIPTOR_NAME,
                     "catalog.ttl", "catalog.jsonld"):
        if reserved in files:
            raise ReleaseError(f"resource path {reserved!r} clashes with a generated file")

    # bytes and hash of every local file the descriptor lists.
    for res in resources:
        rel = res.get("path")
        if isinstance(rel, str) and rel in files and rel not in unhashed:
            path = files[rel]
            res["bytes"] = path.stat().st_size
            res["hash"] = "sha256:" + sha256_hex(path)
    return _Plan(files=files, descriptor=descriptor, row_counts=row_counts, package=package,
                 unhashed=unhashed, documents=sorted(documents))


def _dump_json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def generated_files(plan: _Plan) -> dict[str, bytes]:
    """README.md, LICENSE, CITATION.cff, datapackage.json and the DCAT catalogue as bytes."""
    from semicon.build.dcat import catalog_files, release_files  # rdflib: only when needed

    name = str(plan.descriptor["name"])
    return {
        **catalog_files(plan.descriptor, release_files(plan.descriptor)),
        DESCRIPTOR_NAME: _dump_json(plan.descriptor),
        "README.md": render_readme(
            plan.descriptor,
            tables=plan.package.tables,
            row_counts=plan.row_counts,
            files={"duckdb": f"{name}.duckdb", "sqlite": f"{name}.db"},
            documents=plan.documents,
        ).encode("utf-8"),
        "LICENSE": render_license(plan.descriptor).encode("utf-8"),
        "CITATION.cff": render_citation(plan.descriptor).encode("utf-8"),
    }


def sha256sums(entries: Mapping[str, str]) -> bytes:
    """A ``sha256sum -c`` compatible listing of ``{path: hex digest}``, sorted by path."""
    return "".join(f"{entries[p]}  {p}\n" for p in sorted(entries)).encode("utf-8")


# --------------------------------------------------------------------------- zip


def _zipinfo(arcname: str, date_time: tuple[int, ...]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=date_time)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the permissions below are honoured
    info.external_attr = (0o100644 & 0xFFFF) << 16
    return info


def write_zip(
    zip_path: Path,
    folder: str,
    files: Mapping[str, Path],
    generated: Mapping[str, bytes],
    date_time: tuple[int, ...],
) -> None:
    """Write the zip deterministically and atomically (temp file, then rename)."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    # Created like every other output (``open``, mode 0666 less the umask: 0644 as a rule),
    # not with ``mkstemp``, whose 0600 would survive the rename and hide the zip from a web
    # server running as another user.
    tmp = zip_path.with_name(f".{zip_path.name}.tmp-{os.getpid()}")
    try:
        with (
            open(tmp, "wb") as raw,
            zipfile.ZipFile(
                raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL
            ) as zf,
        ):
            for rel in sorted(set(files) | set(generated)):
                info = _zipinfo(f"{folder}/{rel}", date_time)
                if rel in generated:
                    zf.writestr(info, generated[rel])
                    continue
                src = files[rel]
                info.file_size = src.stat().st_size
                with (
                    src.open("rb") as fh,
                    zf.open(info, "w", force_zip64=info.file_size > (1 << 31)) as dst,
                ):
                    shutil.copyfileobj(fh, dst, CHUNK)
        os.replace(tmp, zip_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_release(
    package: Package | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    build_dir: str | os.PathLike[str] | None = None,
    force_build: bool = False,
    builder: Builder | None = None,
    progress: bool = False,
    log: Log | None = None,
) -> ReleaseResult:
    """Build when needed, then write ``<out_dir>/<name>-<version>.zip``.

    ``package`` is a package folder, its ``datapackage.json`` or the package already parsed
    (it is parsed once, here, and handed to the build). Build outputs are read from
    ``build_dir`` (default: ``out_dir``); ``builder`` replaces
    ``semicon.build.pipeline.build_package`` (same signature), e.g. in tests.
    """
    parsed = _parsed(package)
    for res in parsed.resources:  # refuse unsafe paths before building
        _local_paths(parsed.base_dir, res.path)
    out = Path(out_dir)
    bdir = Path(build_dir) if build_dir is not None else out
    reasons = ensure_built(
        parsed, bdir, force=force_build, builder=builder, progress=progress, log=log
    )
    plan = plan_release(parsed, bdir)
    generated = generated_files(plan)
    digests = {rel: sha256_hex(path) for rel, path in plan.files.items()}
    digests.update({rel: hashlib.sha256(data).hexdigest() for rel, data in generated.items()})
    generated[SUMS_NAME] = sha256sums(
        {rel: d for rel, d in digests.items() if rel not in plan.unhashed}
    )
    folder = release_stem(plan.descriptor)
    zip_path = out / release_filename(plan.descriptor)
    write_zip(zip_path, folder, plan.files, generated, _date_time(plan.descriptor))
    from semicon.build.dcat import write_site_catalog

    write_site_catalog(out, plan.descriptor, zip_path)

    listing = [
        ReleaseFile(rel, plan.files[rel].stat().st_size, digests[rel])
        if rel in plan.files
        else ReleaseFile(rel, len(generated[rel]), hashlib.sha256(generated[rel]).hexdigest())
        for rel in sorted(set(plan.files) | set(generated))
    ]
    if log:
        log(f"wrote {zip_path} ({len(listing)} files)")
    return ReleaseResult(
        zip_path=zip_path,
        folder=folder,
        files=listing,
        sha256=sha256_hex(zip_path),
        built=bool(reasons),
        build_reasons=reasons,
    )


__all__ = [
    "ReleaseError",
    "ReleaseFile",
    "ReleaseResult",
    "build_outputs",
    "count_rows",
    "ensure_built",
    "load_release_package",
    "make_release",
    "release_filename",
    "release_stem",
    "sha256sums",
    "stale_reasons",
]
