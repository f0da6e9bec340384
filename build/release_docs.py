"""Text files generated for a release zip: README.md, LICENSE and CITATION.cff.

Every function here is a pure function of the Data Package descriptor (and, for the
README, of row counts and the list of shipped files), so a release is reproducible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from semicon.schemas.model import Field, Resource

# Known data licences: SPDX id -> (title, canonical URL).
KNOWN_LICENSES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC0-1.0": (
        "Creative Commons Zero v1.0 Universal",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "ODC-By-1.0": (
        "Open Data Commons Attribution License v1.0",
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
    "PDDL-1.0": (
        "Open Data Commons Public Domain Dedication & License 1.0",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
}

# Spellings seen in descriptors -> SPDX id.
_LICENSE_ALIASES: dict[str, str] = {
    "cc-by-4.0": "CC-BY-4.0",
    "cc-by": "CC-BY-4.0",
    "cc by 4.0": "CC-BY-4.0",
    "cc0-1.0": "CC0-1.0",
    "cc0": "CC0-1.0",
    "cc-zero": "CC0-1.0",
    "odc-by-1.0": "ODC-By-1.0",
    "odc-by": "ODC-By-1.0",
    "pddl-1.0": "PDDL-1.0",
    "odc-pddl": "PDDL-1.0",
    "pddl": "PDDL-1.0",
}


def primary_license(descriptor: Mapping[str, Any]) -> dict[str, Any]:
    """The first entry of ``licenses`` (an empty dict when there is none)."""
    licenses = descriptor.get("licenses") or []
    return dict(licenses[0]) if licenses else {}


def spdx_id(license_: Mapping[str, Any]) -> str | None:
    """The SPDX identifier of a Data Package licence entry, when it can be told."""
    for key in ("name", "title"):
        value = str(license_.get(key) or "").strip()
        if not value:
            continue
        if value in KNOWN_LICENSES:
            return value
        alias = _LICENSE_ALIASES.get(value.lower())
        if alias:
            return alias
    path = str(license_.get("path") or "").lower().rstrip("/")
    for spdx, (_title, url) in KNOWN_LICENSES.items():
        if path and path == url.lower().rstrip("/"):
            return spdx
    name = str(license_.get("name") or "").strip()
    # Anything that looks like an SPDX id is passed through as is.
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]*", name):
        return name
    return None


def _license_title_url(license_: Mapping[str, Any]) -> tuple[str, str]:
    spdx = spdx_id(license_)
    known = KNOWN_LICENSES.get(spdx or "")
    title = str(license_.get("title") or (known[0] if known else "") or spdx or "")
    url = str(license_.get("path") or (known[1] if known else ""))
    return title, url


def _contributor_name(contributor: Mapping[str, Any]) -> str:
    if contributor.get("title"):
        return str(contributor["title"])
    parts = [contributor.get("givenName"), contributor.get("familyName")]
    name = " ".join(str(p) for p in parts if p)
    return name or str(contributor.get("organization") or "")


def attribution(descriptor: Mapping[str, Any]) -> str:
    """The attribution line: contributors (or the package title) and the source."""
    names = [_contributor_name(c) for c in descriptor.get("contributors") or []]
    names = [n for n in names if n]
    title = str(descriptor.get("title") or descriptor.get("name") or "this dataset")
    who = ", ".join(names) if names else "the contributors"
    version = descriptor.get("version")
    line = f"{title}" + (f", version {version}" if version else "") + f", by {who}."
    sources = [str(s.get("title")) for s in descriptor.get("sources") or [] if s.get("title")]
    if sources:
        line += " Source: " + "; ".join(sources) + "."
    return line


def render_license(descriptor: Mapping[str, Any]) -> str:
    """A short LICENSE text naming the data licence, its URL and the attribution."""
    license_ = primary_license(descriptor)
    title, url = _license_title_url(license_)
    spdx = spdx_id(license_)
    name = str(descriptor.get("title") or descriptor.get("name") or "This dataset")
    lines: list[str] = []
    if not license_:
        lines += [
            f"{name}",
            "",
            "No licence is declared in datapackage.json: all rights are reserved by the",
            "contributors until one is.",
        ]
        return "\n".join(lines) + "\n"
    header = title + (f" ({spdx})" if spdx and spdx not in title else "")
    lines += [f"{name}", "", f"The data in this package is licensed under the {header}."]
    if url:
        lines += [f"Full licence text: {url}"]
    lines.append("")
    if spdx == "CC0-1.0":
        lines += [
            "To the extent possible under law, the contributors have waived all copyright and",
            "related or neighbouring rights to this data. You may copy, modify, distribute and",
            "use it, even for commercial purposes, without asking permission. Citing it is",
            "appreciated but not required:",
        ]
    elif spdx == "PDDL-1.0":
        lines += [
            "The data is dedicated to the public domain. Citing it is appreciated but not",
            "required:",
        ]
    elif spdx and spdx.upper().startswith(("CC-BY", "ODC-BY")):
        lines += [
            "You are free to share (copy and redistribute) and adapt (remix, transform and build",
            "upon) the data for any purpose, even commercially, as long as you give appropriate",
            "credit, provide a link to the licence and indicate if changes were made.",
            "Attribution:",
        ]
    else:
        lines += ["See the licence text for the terms of use. Attribution:"]
    lines += ["", "    " + attribution(descriptor), ""]
    lines += [
        "The source document in sources/ is reproduced for reference; it remains subject to",
        "the terms of its publisher.",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- CITATION.cff


def _yaml_str(value: Any) -> str:
    """A YAML scalar: JSON double-quoted strings are valid YAML."""
    return json.dumps(str(value), ensure_ascii=False)


def _released_date(descriptor: Mapping[str, Any]) -> str | None:
    created = str(descriptor.get("created") or "")
    match = re.match(r"(\d{4}-\d{2}-\d{2})", created)
    return match.group(1) if match else None


def _cff_author(contributor: Mapping[str, Any]) -> list[str]:
    """CFF author lines (first one starts with ``- ``) for one contributor."""
    fields: list[tuple[str, Any]] = []
    if contributor.get("givenName") or contributor.get("familyName"):
        if contributor.get("givenName"):
            fields.append(("given-names", contributor["givenName"]))
        if contributor.get("familyName"):
            fields.append(("family-names", contributor["familyName"]))
        if contributor.get("organization"):
            fields.append(("affiliation", contributor["organization"]))
    else:
        fields.append(("name", _contributor_name(contributor) or "Unknown"))
    if contributor.get("email"):
        fields.append(("email", contributor["email"]))
    path = str(contributor.get("path") or "")
    if path.startswith("https://orcid.org/"):
        fields.append(("orcid", path))
    elif path.startswith(("http://", "https://")):
        fields.append(("website", path))
    return [
        ("  - " if i == 0 else "    ") + f"{key}: {_yaml_str(value)}"
        for i, (key, value) in enumerate(fields)
    ]


def _authors(descriptor: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    contributors = list(descriptor.get("contributors") or [])
    authors = [c for c in contributors if "author" in (c.get("roles") or [])]
    if not authors:
        skip = {"publisher", "contributor"}
        authors = [c for c in contributors if not set(c.get("roles") or []) <= skip]
    return authors or contributors


def repository_url(descriptor: Mapping[str, Any]) -> str | None:
    """A code repository URL declared in the descriptor, if any."""
    for key in ("repository", "x-repository", "repository-code"):
        value = descriptor.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and value.get("url"):
            return str(value["url"])
    return None


def render_citation(descriptor: Mapping[str, Any]) -> str:
    """CITATION.cff (Citation File Format 1.2.0, type dataset) for the package."""
    title = descriptor.get("title") or descriptor.get("name") or "Untitled dataset"
    lines = [
        "# This CITATION.cff file was generated from datapackage.json by `semicon package`.",
        'cff-version: "1.2.0"',
        'message: "If you use this dataset, please cite it as below."',
        "type: dataset",
        f"title: {_yaml_str(title)}",
    ]
    if descriptor.get("version"):
        lines.append(f"version: {_yaml_str(descriptor['version'])}")
    released = _released_date(descriptor)
    if released:
        lines.append(f"date-released: {_yaml_str(released)}")
    authors = _authors(descriptor)
    lines.append("authors:")
    if authors:
        for contributor in authors:
            lines.extend(_cff_author(contributor))
    else:
        lines.append(f"  - name: {_yaml_str('Unknown')}")
    if descriptor.get("description"):
        lines.append(f"abstract: {_yaml_str(' '.join(str(descriptor['description']).split()))}")
    spdx = spdx_id(primary_license(descriptor))
    if spdx:
        lines.append(f"license: {_yaml_str(spdx)}")
    homepage = descriptor.get("homepage")
    if homepage:
        lines.append(f"url: {_yaml_str(homepage)}")
    repo = repository_url(descriptor)
    code_hosts = ("https://github.com/", "https://gitlab.com/", "https://codeberg.org/")
    if repo is None and isinstance(homepage, str) and homepage.startswith(code_hosts):
        repo = homepage
    if repo:
        key = "repository-code" if repo.startswith(code_hosts) else "repository"
        lines.append(f"{key}: {_yaml_str(repo)}")
    if descriptor.get("id") and str(descriptor["id"]).startswith("https://doi.org/"):
        lines.append(f"doi: {_yaml_str(str(descriptor['id']).removeprefix('https://doi.org/'))}")
    keywords = [k for k in descriptor.get("keywords") or [] if k]
    if keywords:
        lines.append("keywords:")
        lines.extend(f"  - {_yaml_str(k)}" for k in keywords)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- README.md


def _md(text: Any) -> str:
    """Text safe for a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _constraints(field: Field, primary_key: Sequence[str]) -> str:
    parts: list[str] = []
    if field.name in primary_key:
        parts.append("primary key")
    for key, value in sorted(field.constraints.items()):
        if value is True:
            parts.append(key)
        elif key == "enum":
            parts.append("one of " + ", ".join(f"`{v}`" for v in value))
        else:
            parts.append(f"{key} `{value}`")
    if field.format and field.format != "default":
        parts.append(f"format `{field.format}`")
    return "; ".join(parts)


def render_readme(
    descriptor: Mapping[str, Any],
    *,
    tables: Sequence[Resource],
    row_counts: Mapping[str, int],
    files: Mapping[str, str],
    documents: Sequence[str] = (),
) -> str:
    """README.md for the data: tables, columns, licence and how to load it.

    ``descriptor`` is the release's ``datapackage.json`` (its licence, sources, citation);
    ``tables`` the package's tables (those with a Table Schema are described, each with its
    path in the release descriptor). ``files`` maps a role (``duckdb``, ``sqlite``) to the
    file name in the release; ``documents`` are the paths of the source documents' texts it
    holds.
    """
    name = str(descriptor.get("name") or "dataset")
    title = str(descriptor.get("title") or name)
    version = descriptor.get("version")
    out: list[str] = [f"# {title}", ""]
    if version:
        out += [
            f"Version {version}"
            + (f", created {descriptor['created']}" if descriptor.get("created") else "")
            + ".",
            "",
        ]
    if descriptor.get("description"):
        out += [str(descriptor["description"]).strip(), ""]
    tables = [t for t in tables if t.schema is not None]
    released = {t.index: t for t in tables}
    paths = {released[i].name: r.get("path") for i, r in enumerate(descriptor.get("resources")
                                                                   or []) if i in released}
    duckdb_file = files.get("duckdb", f"{name}.duckdb")
    sqlite_file = files.get("sqlite", f"{name}.db")
    first = tables[0].name if tables else "table"

    out += ["## Contents", ""]
    out += [
        "| File | What it is |",
        "| --- | --- |",
        "| `datapackage.json` | Frictionless Data Package v2 descriptor with the Table Schemas |",
        "| `data/*.csv` | The tables as UTF-8 CSV (the reference copy) |",
        "| `parquet/*.parquet` | The same tables as Parquet, typed; each file holds its title, "
        "description, licence and Table Schema as key-value metadata |",
        f"| `{duckdb_file}` | DuckDB database with every table (checked by content, see below) |",
        f"| `{sqlite_file}` | SQLite database with every table and view, `_build` (rows and "
        "hashes per table) and `_data_dictionary` (one row per column), nothing else |",
        *(f"| `{path}` | Text of a source document the data was taken from |"
          for path in documents),
        "| `LICENSE`, `CITATION.cff` | Licence and how to cite |",
        "| `catalog.ttl`, `catalog.jsonld` | DCAT-AP catalogue of this release, for data "
        "portals |",
        "| `SHA256SUMS` | Checksums of every file but the DuckDB file: "
        "`sha256sum -c SHA256SUMS` |",
        "",
        "## Checking the download",
        "",
        "```sh",
        "sha256sum -c SHA256SUMS      # every file but the DuckDB file",
        "semicon validate .           # the same, the data, and every database against the CSVs",
        "```",
        "",
        "Every file of this release is byte-identical when it is built again from the same "
        "inputs,",
        f"except `{duckdb_file}`: DuckDB writes random identifiers into every database file, "
        "so two",
        "builds of the same data differ in a few bytes. It therefore has no checksum; "
        "`semicon validate`",
        "(`pip install semicon-nl`) compares its tables, like the SQLite and Parquet files', "
        "row by row",
        "with the CSVs (row count, primary keys and whole rows, hashed per table).",
        "",
    ]

    out += ["## Tables", ""]
    out += ["| Table | Rows | Description |", "| --- | ---: | --- |"]
    for res in tables:
        rows = row_counts.get(res.name, "")
        desc = res.description or res.title or ""
        out.append(f"| [`{res.name}`](#{res.name}) | {rows} | {_md(desc)} |")
    out.append("")
    for res in tables:
        pk = res.primary_key
        out += [f"### {res.name}", ""]
        if res.title:
            out += [f"**{res.title}**", ""]
        if res.description:
            out += [res.description.strip(), ""]
        out += [f"File: `{paths.get(res.name)}`; {row_counts.get(res.name, 0)} rows.", ""]
        out += ["| Column | Type | Constraints | Description |", "| --- | --- | --- | --- |"]
        for field in res.fields:
            desc = field.description or field.title or ""
            out.append(
                f"| `{field.name}` | {field.type} | "
                f"{_md(_constraints(field, pk))} | {_md(desc)} |"
            )
        out.append("")
        for fk in res.foreign_keys:
            cols = ", ".join(fk.fields)
            refs = ", ".join(fk.reference_fields)
            out.append(f"Foreign key: `{cols}` references `{fk.resource}` (`{refs}`).")
        if res.foreign_keys:
            out.append("")

    out += ["## Licence", ""]
    license_ = primary_license(descriptor)
    if license_:
        ltitle, url = _license_title_url(license_)
        spdx = spdx_id(license_)
        label = ltitle or spdx or "see LICENSE"
        link = f"[{label}]({url})" if url else label
        out += [f"{link}" + (f" (`{spdx}`)" if spdx and spdx != label else "") + ".", ""]
        out += ["Please attribute as:", "", "> " + attribution(descriptor), ""]
    else:
        out += ["No licence is declared. See `LICENSE`.", ""]
    out += ["See `CITATION.cff` for a machine-readable citation.", ""]

    sources = descriptor.get("sources") or []
    if sources:
        out += ["## Sources", ""]
        for src in sources:
            label = src.get("title") or src.get("path") or "source"
            path = src.get("path")
            out.append(f"- [{label}]({path})" if path else f"- {label}")
        out.append("")

    out += ["## How to load it", ""]
    out += [
        "Unzip the release, then from the unzipped folder:",
        "",
        "### Python (pandas)",
        "",
        "```python",
        "import pandas as pd",
        "",
        f'df = pd.read_parquet("parquet/{first}.parquet")  # typed (see below)',
        f'df = pd.read_csv("data/{first}.csv")  # or from the CSV',
        "```",
        "",
        "From Parquet, integer columns come as `int64` (pandas' nullable `Int64` where the "
        "column",
        "has empty cells), dates as `date32[day][pyarrow]`, numbers as `float64`, text as "
        "strings;",
        "a column the Table Schema marks `required` is a non-null Parquet column. From CSV, "
        "pandas",
        "guesses the types itself.",
        "",
        "### Python (frictionless)",
        "",
        "```python",
        "from frictionless import Package",
        "",
        'package = Package("datapackage.json")',
        f'rows = package.get_resource("{first}").read_rows()  # typed by the Table Schema',
        "```",
        "",
        "Validate the whole package with `frictionless validate datapackage.json`.",
        "",
        "### R",
        "",
        "```r",
        f'df <- read.csv("data/{first}.csv", encoding = "UTF-8", na.strings = "")',
        "```",
        "",
        "With the CRAN packages `frictionless` and `arrow`, "
        f'`frictionless::read_resource(frictionless::read_package("datapackage.json"), '
        f'"{first}")`',
        f'types the columns by the Table Schema, and `arrow::read_parquet("parquet/{first}'
        '.parquet")` reads the Parquet copy.',
        "",
        "### DuckDB",
        "",
        "```sql",
        f"ATTACH '{duckdb_file}' AS semicon (READ_ONLY);",
        f"SELECT * FROM semicon.{first} LIMIT 10;",
        f"-- or straight from Parquet: SELECT * FROM 'parquet/{first}.parquet';",
        "```",
        "",
        "### SQLite",
        "",
        "```sh",
        f'sqlite3 {sqlite_file} "SELECT * FROM {first} LIMIT 10"',
        "```",
        "",
        "### Spreadsheet (Excel, LibreOffice Calc, Google Sheets)",
        "",
        f"Open `data/{first}.csv` (or any other CSV in `data/`). The files are UTF-8 with a",
        "header row and a comma as separator: in Excel use *Data > From Text/CSV* and choose",
        "*65001: Unicode (UTF-8)* so accented characters come through; keep identifier",
        "columns as text so leading zeros are not lost.",
        "",
    ]
    return "\n".join(out)
