"""Fixture builders for the validation tests: small packages written into tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from semicon.schemas.validation import Report, validate_package

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"


def write_package(
    folder: Path,
    resources: list[dict[str, Any]],
    files: dict[str, str | bytes] | None = None,
    **extra: Any,
) -> Path:
    """Write ``datapackage.json`` (resources as given) and ``files`` (path -> content)."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in (files or {}).items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(content.encode("utf-8"))
    descriptor = {"$schema": PROFILE, "name": "test-package", "resources": resources, **extra}
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return path


def csv_resource(name: str, fields: list[dict[str, Any]], *, path: str | None = None,
                 **schema_extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "path": path or f"data/{name}.csv",
        "format": "csv",
        "encoding": "utf-8",
        "schema": {"fields": fields, **schema_extra},
    }


@pytest.fixture
def one_table(tmp_path: Path) -> Callable[..., Path]:
    """``one_table(fields, csv_text_or_bytes, **schema_extra)`` -> descriptor path."""

    def build(fields: list[dict[str, Any]], content: str | bytes, **schema_extra: Any) -> Path:
        res = csv_resource("t", fields, **schema_extra)
        return write_package(tmp_path / "pkg", [res], {"data/t.csv": content})

    return build


@pytest.fixture
def check() -> Callable[..., Report]:
    return validate_package


def codes(report: Report) -> list[tuple[str, int | None, str | None]]:
    """(code, line, field) of every finding, in report order."""
    return [(f.code, f.line, f.field) for f in report.findings]


class Recording:
    """A DuckDB connection (or cursor) that records the SQL it is given."""

    def __init__(self, con: Any, log: list[str]) -> None:
        self._con, self._log = con, log

    def execute(self, sql: str, *args: Any, **kw: Any) -> Any:
        self._log.append(sql)
        return self._con.execute(sql, *args, **kw)

    def cursor(self) -> Recording:
        return Recording(self._con.cursor(), self._log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement validation gives DuckDB (its connection and cursors)."""
    from semicon.schemas.validation import engine

    log: list[str] = []
    real = engine._connect
    monkeypatch.setattr(engine, "_connect", lambda *a, **kw: Recording(real(*a, **kw), log))
    return log


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (``local[2]``) for every Spark test (starting one takes
    about 10 s); skipped where Spark cannot run, except in CI (see :mod:`.sparkenv`)."""
    from .sparkenv import require, spark_missing

    require(spark_missing())
    from semicon.schemas.validation.spark.session import get_session, prepare

    session = get_session("local[2]")
    prepare(session)
    yield session
    session.stop()
