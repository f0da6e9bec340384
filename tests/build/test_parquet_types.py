"""Parquet files typed by the Table Schema: nullability, and what pandas reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from semicon.build.pipeline import build_package

from tests.build.conftest import SAMPLE_ROWS, SAMPLE_SCHEMAS


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory) -> Path:
    from tests.build.conftest import write_package

    root = tmp_path_factory.mktemp("parquet-types")
    descriptor = write_package(root / "pkg", SAMPLE_SCHEMAS, SAMPLE_ROWS)
    return build_package(descriptor, root / "out").out_dir / "parquet"


def _schemas() -> dict[str, dict]:
    return {s["name"]: s for s in SAMPLE_SCHEMAS}


def test_nullability_is_the_table_schemas(parquet_dir: Path) -> None:
    for table, schema in _schemas().items():
        arrow = pq.read_schema(parquet_dir / f"{table}.parquet")
        for field in schema["fields"]:
            required = bool((field.get("constraints") or {}).get("required")) or (
                field["name"] in schema.get("primaryKey", []))
            assert arrow.field(field["name"]).nullable is not required, (table, field["name"])
    # an optional column without a null in this data stays optional (Parquet OPTIONAL)
    meta = pq.read_metadata(parquet_dir / "countries.parquet").schema
    assert meta.column(1).name == "country_name"
    assert meta.column(1).max_definition_level == 1
    assert meta.column(0).max_definition_level == 0  # the required key


def test_pandas_reads_typed_columns(parquet_dir: Path) -> None:
    funding = pd.read_parquet(parquet_dir / "funding_allocations.parquet")
    assert str(funding["allocation_id"].dtype) == "int64"  # no nulls: numpy int64
    assert str(funding["parent_id"].dtype) == "Int64"  # nulls: pandas' nullable integer
    assert funding["parent_id"].tolist()[:3] == [pd.NA, 1, 1]
    assert str(funding["amount"].dtype) == "float64"
    assert str(funding["confirmed"].dtype) == "boolean"
    sources = pd.read_parquet(parquet_dir / "sources.parquet")
    assert sources["published"].dtype == pd.ArrowDtype(pa.date32())
    assert sources["published"].dt.year.tolist()[0] == 2025
    members = pd.read_parquet(parquet_dir / "coalition_members.parquet")
    assert str(members["joined"].dtype) == "Int64"  # year: an integer, widened to int64
    assert members["joined"].tolist() == [2023, 2024, pd.NA]
    countries = pd.read_parquet(parquet_dir / "countries.parquet")
    assert countries["country_code"].tolist() == ["NL", "DE", "BE"]


def test_integer_columns_are_int64_for_every_reader(parquet_dir: Path) -> None:
    for table, schema in _schemas().items():
        arrow = pq.read_schema(parquet_dir / f"{table}.parquet")
        for field in schema["fields"]:
            if field["type"] in ("integer", "year"):
                assert arrow.field(field["name"]).type == pa.int64(), (table, field["name"])
            if field["type"] == "date":
                assert arrow.field(field["name"]).type == pa.date32()


def test_the_file_carries_pandas_metadata_pyarrow_understands(parquet_dir: Path) -> None:
    schema = pq.read_schema(parquet_dir / "funding_allocations.parquet")
    columns = {c["name"]: c for c in json.loads(schema.metadata[b"pandas"])["columns"]}
    assert columns["parent_id"]["numpy_type"] == "Int64"
    assert columns["allocation_id"]["numpy_type"] == "int64"
