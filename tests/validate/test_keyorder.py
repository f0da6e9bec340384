"""A large table's repeated keys found from the order they are stored in (keyorder.py)
give the findings the grouping of every key gives, whatever the order."""

from __future__ import annotations

import random

import pytest
from semicon.schemas.validation import keyorder
from semicon.schemas.validation.engine import validate_package
from semicon.schemas.validation.keyorder import Suspects, suspects

GROUPING = "HAVING count(*) > 1"  # sqlchecks.duplicate_sql's grouping of every key
STEPS = "row_number() OVER () AS q"  # keyorder.steps_sql's streaming pass
SUSPECTS = "SEMI JOIN"  # keyorder.repeats_sql's query of the suspects' keys


def _step(q: int, k: int | None = None) -> tuple:
    """A row of steps_sql for a table whose ``__k`` is its place from 0: (q, __k, p1, p2,
    n1); the first and last rows' neighbours are None (``last``: 9)."""
    k = q - 1 if k is None else k
    return (q, k, k - 1, k - 2 if k >= 2 else None, k + 1 if k < 9 else None)


@pytest.mark.parametrize(("steps", "rows", "pairs"), [
    ([], [], []),
    ([_step(5)], [4, 3, 2, 5], [(2, 5)]),  # rows 3, 4 suspect; 2 and 5 must increase
    ([_step(5), _step(6)], [4, 3, 5, 4, 2, 6], [(2, 6)]),  # one run: rows 3 to 5
    ([_step(5), _step(7)], [4, 3, 6, 5, 2, 7], [(2, 7)]),  # 3-4 and 5-6 touch: one run
    ([_step(5), _step(8)], [4, 3, 2, 5, 7, 6, 5, 8], [(2, 5), (5, 8)]),  # two runs
    ([_step(2)], [1, 0, 2], []),  # the first row is suspect: nothing before it
    ([_step(10)], [9, 8, 7], []),  # the last row is suspect: nothing after it
])
def test_suspects_and_the_pairs_around_each_run_of_them(steps, rows, pairs):
    assert suspects(steps) == Suspects(rows, pairs)


def _keyed_package(one_table, ftype: str, cells: list[str], *, extra: dict[int, str]
                   ) -> object:
    """A table keyed by ``id`` (cells as given; a line replaced by ``extra``'s, which
    DuckDB rejects) with a unique text field ``code`` in the same order."""
    fields = [{"name": "id", "type": ftype},
              {"name": "code", "type": "string", "constraints": {"unique": True}}]
    lines = [f"{c},{c}" for c in cells]
    for i, line in extra.items():
        lines[i] = line
    return one_table(fields, "id,code\n" + "\n".join(lines) + "\n", primaryKey=["id"])


def _findings(path, monkeypatch, *, large: bool) -> list[tuple]:
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS",
                        0 if large else 10**9)
    return sorted((f.code, f.line, f.field, f.message) for f in validate_package(path).findings)


def _orders(rng: random.Random, n: int) -> dict[str, list[int]]:
    """Key orders: in order with a few rows out of place, and not in order at all."""
    base = list(range(0, 3 * n, 3))
    swapped = base[:]
    for _ in range(3):
        i = rng.randrange(n - 1)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    repeats = base[:]
    for _ in range(4):
        i, j = rng.randrange(n), rng.randrange(n)
        repeats[j] = repeats[i]
    outliers = base[:]
    for _ in range(3):
        outliers[rng.randrange(n)] = rng.choice([-5, 10 * n, rng.randrange(3 * n)])
    halves = base[: n // 2] * 2  # two runs in order: every suspect pair is in order but one
    shuffled = base[:]
    rng.shuffle(shuffled)
    return {"swapped": swapped, "repeats": repeats, "outliers": outliers, "halves": halves,
            "reversed": base[::-1], "shuffled": shuffled,
            "ends": [base[-1], *base[1:-1], base[0]]}


def _cells(ftype: str, keys: list[int], rng: random.Random, missing: bool) -> list[str]:
    """Key cells of ``ftype`` for ``keys``, written in ways that give the same value."""
    out = []
    for k in keys:
        if ftype == "integer":
            out.append(rng.choice([str(k), f"{k:+d}" if k else "0", f"0{k}" if k > 0 else str(k)]))
        elif ftype == "number":
            out.append(rng.choice([str(k), f"{k}.0", f"{k}e0", "-0" if k == 0 else str(k)]))
        elif ftype == "date":
            out.append(f"{2000 + k // 300:04d}-{1 + k // 25 % 12:02d}-{1 + k % 25:02d}")
        else:
            out.append(f"K{k:05d}" if k >= 0 else f"k{-k}")
    if missing:
        for _ in range(2):
            out[rng.randrange(len(out))] = ""
    return out


@pytest.mark.parametrize("ftype", ["integer", "number", "date", "string"])
@pytest.mark.parametrize("seed", range(3))
def test_found_from_the_stored_order_as_by_grouping_every_key(one_table, monkeypatch,
                                                              ftype, seed):
    """The same findings on the large-table path (keyorder) as on the small one, for
    keys in order but for a few rows, and for keys in no order; with missing keys and
    with lines DuckDB rejects (re-read into a table of their own) or not."""
    rng = random.Random(f"{ftype}-{seed}")
    n = 60
    for name, keys in _orders(rng, n).items():
        cells = _cells(ftype, keys, rng, missing=seed == 1)
        extra = {rng.randrange(n): f"{cells[i]},{cells[i]},x" for i in range(2)} if seed else {}
        path = _keyed_package(one_table, ftype, cells, extra=extra)
        large = _findings(path, monkeypatch, large=True)
        assert large == _findings(path, monkeypatch, large=False), (name, cells)
        if name in ("repeats", "halves"):
            assert any(f[0] == "primary-key" for f in large), name


@pytest.mark.parametrize("storage", ["long", "careful"])
def test_found_from_the_stored_order_of_every_storage(one_table, monkeypatch, storage):
    """A table stored long (wide tables) or by the careful parser (here: a blank line)
    is one stored table in file order too."""
    if storage == "long":
        monkeypatch.setattr("semicon.schemas.validation.longform.WIDE_COLUMNS", 1)
    rng = random.Random(storage)
    for name, keys in _orders(rng, 40).items():
        cells = _cells("integer", keys, rng, missing=True)
        path = _keyed_package(one_table, "integer", cells, extra={3: f"{cells[0]},x,y"})
        if storage == "careful":
            path.with_name("data").joinpath("t.csv").write_text(
                path.with_name("data").joinpath("t.csv").read_text() + "\n")
        large = _findings(path, monkeypatch, large=True)
        assert large == _findings(path, monkeypatch, large=False), (name, cells)
        assert any(f[0] == "primary-key" for f in large), name


def test_a_few_rows_out_of_place_are_checked_without_grouping(one_table, monkeypatch,
                                                              statements):
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", 0)
    cells = [str(i) for i in range(10, 50)]  # two digits: in order as text too
    cells[10] = cells[9]  # repeats line 11's key
    cells[20] = "99"  # above every key after it
    cells[30] = "-1"  # below every key before it
    report = validate_package(_keyed_package(one_table, "integer", cells, extra={}))
    assert sorted((f.code, f.line) for f in report.findings) == [("primary-key", 12),
                                                                 ("unique-error", 12)]
    assert sum(sql.count(STEPS) for sql in statements) == 2  # id's and code's
    assert sum(SUSPECTS in sql for sql in statements) == 2
    assert not any(GROUPING in sql for sql in statements)


@pytest.mark.parametrize(("cells", "line"), [
    ([str(i) for i in range(20)] + [str(i) for i in range(20)], 22),  # pairs out of order
    ([str(i) for i in range(60, 0, -1)] + ["60"], 62),  # more steps than MAX_STEPS
])
def test_keys_not_in_order_are_grouped(one_table, monkeypatch, statements, cells, line):
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", 0)
    monkeypatch.setattr(keyorder, "MAX_STEPS", 30)
    report = validate_package(_keyed_package(one_table, "integer", cells, extra={}))
    assert ("primary-key", line) in [(f.code, f.line) for f in report.findings]
    assert any(GROUPING in sql for sql in statements)


def test_missing_keys_are_left_out_of_the_order(one_table, monkeypatch, statements):
    """An optional unique field mostly empty: the cells present are in order."""
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", 0)
    monkeypatch.setattr(keyorder, "MAX_STEPS", 3)
    fields = [{"name": "n", "type": "integer"},
              {"name": "code", "type": "string", "constraints": {"unique": True}}]
    cells = ["" if i % 3 else f"c{i:03d}" for i in range(60)]
    cells[-1] = "c003"
    text = "n,code\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells))
    report = validate_package(one_table(fields, text))
    assert [(f.code, f.line) for f in report.findings] == [("unique-error", 61)]
    assert not any(GROUPING in sql for sql in statements)


def test_rejected_lines_are_suspects(one_table, monkeypatch, statements):
    """A line DuckDB rejects is re-read into a table of its own, after the others: its key
    is compared with every row's, and the stored rows still stream."""
    monkeypatch.setattr("semicon.schemas.validation.checks.DIRECT_ROWS", 0)
    cells = [str(i) for i in range(10, 30)]
    report = validate_package(_keyed_package(one_table, "integer", cells,
                                             extra={15: "13,13,y", 16: "14"}))
    assert sorted((f.line, f.code) for f in report.findings) == [
        (17, "extra-cell"), (17, "primary-key"), (17, "unique-error"), (18, "missing-cell"),
        (18, "primary-key")]
    assert not any(GROUPING in sql for sql in statements)
