"""The Table Schemas shipped with semicon-nl: the single source of truth for columns."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent
SUFFIX = ".schema.json"
#: JSON Schemas next to the Table Schemas that are not tables
NOT_TABLES = frozenset({"declarations"})


def table_names() -> list[str]:
    """Names of all tables with a Table Schema, in a stable order."""
    names = (p.name.removesuffix(SUFFIX) for p in SCHEMA_DIR.glob(f"*{SUFFIX}"))
    return sorted(n for n in names if n not in NOT_TABLES)


def schema_path(name: str) -> Path:
    """The file holding the Table Schema of table ``name``."""
    return SCHEMA_DIR / f"{name}{SUFFIX}"


@cache
def _load(name: str) -> str:
    return schema_path(name).read_text(encoding="utf-8")


def load_table_schema(name: str) -> dict[str, Any]:
    """A fresh copy of the Table Schema of table ``name``."""
    return json.loads(_load(name))
