"""Fixtures for the build tests: small Data Packages written into tmp_path."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SOURCES = {
    "name": "sources",
    "title": "Sources",
    "description": "Documents the figures come from.",
    "fields": [
        {"name": "source_id", "type": "string", "constraints": {"required": True,
                                                               "pattern": "S[0-9]+"}},
        {"name": "title", "type": "string", "description": "Title of the document",
         "constraints": {"required": True, "minLength": 1}},
        {"name": "published", "type": "date"},
        {"name": "kind", "type": "string", "constraints": {"enum": ["letter", "report"]}},
    ],
    "primaryKey": ["source_id"],
}
FUNDING = {
    "name": "funding_allocations",
    "title": "Funding allocations",
    "fields": [
        {"name": "allocation_id", "type": "integer", "constraints": {"required": True,
                                                                    "minimum": 1}},
        {"name": "parent_id", "type": "integer"},
        {"name": "title", "type": "string", "description": "What the money is for"},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "currency", "type": "string", "constraints": {"enum": ["EUR", "USD"]}},
        {"name": "recipient", "type": "string"},
        {"name": "confirmed", "type": "boolean"},
        {"name": "source_id", "type": "string", "constraints": {"required": True}},
    ],
    "primaryKey": ["allocation_id"],
    "foreignKeys": [
        {"fields": ["parent_id"], "reference": {"resource": "", "fields": ["allocation_id"]}},
        {"fields": ["source_id"], "reference": {"resource": "sources",
                                                "fields": ["source_id"]}},
    ],
}
COUNTRIES = {
    "name": "countries",
    "fields": [
        {"name": "country_code", "type": "string", "constraints": {"required": True}},
        {"name": "country_name", "type": "string"},
    ],
    "primaryKey": ["country_code"],
}
COALITIONS = {
    "name": "coalitions",
    "fields": [
        {"name": "coalition_id", "type": "string", "constraints": {"required": True}},
        {"name": "name", "type": "string"},
        {"name": "focus", "type": "string"},
    ],
    "primaryKey": ["coalition_id"],
}
MEMBERS = {
    "name": "coalition_members",
    "fields": [
        {"name": "coalition_id", "type": "string", "constraints": {"required": True}},
        {"name": "country_code", "type": "string", "constraints": {"required": True}},
        {"name": "joined", "type": "year"},
    ],
    "primaryKey": ["coalition_id", "country_code"],
    "foreignKeys": [
        {"fields": ["coalition_id"], "reference": {"resource": "coalitions",
                                                   "fields": ["coalition_id"]}},
        {"fields": ["country_code"], "reference": {"resource": "countries",
                                                   "fields": ["country_code"]}},
    ],
}

SAMPLE_ROWS: dict[str, list[list[Any]]] = {
    "sources": [
        ["S1", "Voortgangsbrief halfgeleiderindustrie", "2025-06-30", "letter"],
        ["S2", "Rapport, \"met\" quotes", "", "report"],
        ["S3", "Bijlage — één", "2024-01-02", ""],
    ],
    "funding_allocations": [
        [1, "", "Chips Act programme", 2510000000, "EUR", "", "true", "S1"],
        [2, 1, "Photonics, Delta plan", 778000000, "EUR", "PhotonDelta", "false", "S1"],
        [3, 1, "US CHIPS", 52000000000, "USD", "", "", "S2"],
        [4, 2, "Small grant", 250000.5, "EUR", "TU/e", "1", "S3"],
        [5, "", "", "", "", "", "", "S3"],
    ],
    "countries": [["NL", "Netherlands"], ["DE", "Germany"], ["BE", "Belgium"]],
    "coalitions": [["C1", "Semicon Coalition", "chips"], ["C2", "Photonics", "light"]],
    "coalition_members": [["C1", "NL", 2023], ["C1", "DE", 2024], ["C2", "BE", ""]],
}
SAMPLE_SCHEMAS = [SOURCES, FUNDING, COUNTRIES, COALITIONS, MEMBERS]
# The sample package's declarations (docs/declarations.md): two views, a default sort.
SAMPLE_SEMICON: dict[str, Any] = {
    "site": {"resources": {"funding_allocations": {"sort": {"field": "amount",
                                                            "descending": True}}}},
    "views": {
        "funding_allocations_readable": {
            "resource": "funding_allocations",
            "readable": {"amount_readable": {"field": "amount",
                                             "currency": {"field": "currency"}}},
        },
        "coalition_members_named": {"resource": "coalition_members"},
    },
}


def write_package(
    root: Path,
    schemas: list[dict[str, Any]],
    rows: dict[str, list[list[Any]]],
    name: str = "testpkg",
    version: str = "1.0.0",
    semicon: dict[str, Any] | None = None,
) -> Path:
    """Write ``datapackage.json`` and one CSV per schema under ``root``; return the descriptor
    (with ``semicon`` as its declarations, if given)."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    resources = []
    for spec in schemas:
        spec = json.loads(json.dumps(spec))
        table = spec.pop("name")
        title = spec.pop("title", None)
        description = spec.pop("description", None)
        path = root / "data" / f"{table}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([f["name"] for f in spec["fields"]])
            w.writerows(rows.get(table, []))
        res = {"name": table, "path": f"data/{table}.csv", "format": "csv",
               "mediatype": "text/csv", "encoding": "utf-8", "schema": spec}
        if title:
            res["title"] = title
        if description:
            res["description"] = description
        resources.append(res)
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": name,
        "version": version,
        "resources": resources,
    }
    if semicon is not None:
        descriptor["semicon"] = semicon
    path = root / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def make_package(tmp_path: Path) -> Callable[..., Path]:
    """Builder: ``make_package(rows=..., schemas=..., root=...)`` -> descriptor path; the
    sample schemas come with the sample declarations."""

    def make(
        rows: dict[str, list[list[Any]]] | None = None,
        schemas: list[dict[str, Any]] | None = None,
        root: Path | None = None,
        **kw: Any,
    ) -> Path:
        if schemas is None:
            kw.setdefault("semicon", SAMPLE_SEMICON)
        return write_package(
            root or tmp_path / "pkg",
            schemas or SAMPLE_SCHEMAS,
            SAMPLE_ROWS if rows is None else rows,
            **kw,
        )

    return make


@pytest.fixture
def sample_package(make_package: Callable[..., Path]) -> Path:
    return make_package()
