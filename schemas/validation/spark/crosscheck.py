"""pandera's verdicts beside the counts: the generated schema, run by pandera's
``pyspark.sql`` backend, says which checks fail per column; Spark SQL counted the rows.
Where the two disagree, a ``pandera-check`` warning says so."""

from __future__ import annotations

from ..findings import Finding, make
from ..pandera_gen import pyspark_schema
from .checks import typed_frame
from .frames import SparkResource


def pandera_verdicts(r: SparkResource) -> tuple[dict[str, list[str]], set[tuple[str, str]]]:
    """The checks the generated schema has (column -> names) and those that failed."""
    import pandera.pyspark  # noqa: F401  (registers the pyspark backend)

    names = [c.name for c in r.cells]
    if len(set(names)) != len(names):
        return {}, set()
    schema = pyspark_schema(r.schema, name=r.name, fields=[c.fld for c in r.cells])
    has: dict[str, list[str]] = {}
    #: pandera reports a failed check by its error text: back to the constraint's name
    named: dict[tuple[str, str], str] = {}
    for name, column in schema.columns.items():
        has[name] = [str(c.name) for c in column.checks]
        named.update({(name, str(c.error)): str(c.name) for c in column.checks})
        if not column.nullable:
            has[name].append("not_nullable")
    checked = schema.validate(typed_frame(r))
    errors = checked.pandera.errors or {}
    failed: set[tuple[str, str]] = set()
    for by_type in errors.values():
        for items in by_type.values():
            for item in items:
                column, check = str(item.get("column")), str(item.get("check"))
                failed.add((column, named.get((column, check), check)))
    return has, failed


def pandera_findings(r: SparkResource, counts: dict[tuple[str, str], int]) -> list[Finding]:
    """``pandera-check`` warnings where pandera and the counts disagree about a check."""
    has, failed = pandera_verdicts(r)
    blank = counts.get(("", "blank-row"), 0)
    out: list[Finding] = []
    for column, names in has.items():
        for name in names:
            counted = counts.get((column, name), 0)
            if name == "not_nullable":
                counted += blank
            if (counted > 0) != ((column, name) in failed):
                verdict = "fails" if (column, name) in failed else "passes"
                out.append(make(
                    "pandera-check",
                    f'pandera check "{name}" {verdict} on field "{column}" but Spark SQL '
                    f"counted {counted} failing rows", resource=r.name, path=r.path,
                    field=column, severity="warning"))
    return out
