"""The package's declared rules (``semicon.rules``) as Spark SQL.

Every declarative rule kind compiles to one DuckDB ``SELECT`` of failing rows over typed
views named like the resources (:mod:`semicon.schemas.rules`); sqlglot translates it to
Spark SQL, which runs over the same views made of the Spark frames. ``__line`` there is
the row's position in file order (``monotonically_increasing_id``), not its CSV line: it
orders rows as the rules expect but is never reported. ``python`` rules run only with
the DuckDB engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.interrupts import reraise_interrupt

from ..findings import Finding, make
from .checks import finding
from .frames import SparkResource
from .sqlgen import ident

#: the temporary view holding the documents' texts (``semicon_internal.documents``)
DOCUMENTS = "__semicon_documents"


def to_spark_sql(sql: str) -> str:
    """A rule's DuckDB SQL in Spark's dialect: the documents table renamed, the typed
    views (``semicon_tables.x``) taken as the temporary views of the same names."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.db == "semicon_internal" and table.name == "documents":
            table.set("db", None)
            table.set("this", exp.to_identifier(DOCUMENTS))
        elif table.db == "semicon_tables":
            table.set("db", None)
    return tree.sql(dialect="spark")


@dataclass
class _Ctx:
    """What :func:`semicon.schemas.rules.runner.document_texts` reads, over Spark."""

    spark: Any
    base: Path
    declarations: Any
    resources: dict[str, SparkResource]
    source_texts: dict[str, str] | None = None
    ctx: Any = field(init=False)

    def __post_init__(self) -> None:
        self.ctx = self

    def has(self, resource: str, *names: str) -> bool:
        r = self.resources.get(resource)
        return bool(r and r.frame is not None and all(n in r.by_name for n in names))

    def select(self, sql: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in self.spark.sql(to_spark_sql(sql)).collect()]


def register_views(spark: Any, resources: dict[str, SparkResource]) -> None:
    """One temporary view a resource: ``__line`` (file order) and the typed fields."""
    from pyspark.sql import functions as F

    for r in resources.values():
        if r.frame is None:
            continue
        names = [c.name for c in r.cells]
        if len(set(names)) != len(names):
            continue
        view = r.frame.select(F.monotonically_increasing_id().alias("__line"),
                              *[F.col(c.tcol).alias(c.name) for c in r.cells])
        view.createOrReplaceTempView(r.name)


def rule_findings(spark: Any, package: Any, base: Path,
                  resources: dict[str, SparkResource],
                  source_texts: dict[str, str] | None = None) -> list[Finding]:
    """Run every declared rule; count its failing rows, with sample values."""
    from semicon.schemas import rules as rules_mod
    from semicon.schemas.rules.kinds import Quote
    from semicon.schemas.rules.pyrule import Python
    from semicon.schemas.rules.runner import document_texts

    declarations = rules_mod.load_declarations(package)
    out: list[Finding] = list(declarations.findings)
    if not declarations.rules:
        return out
    register_views(spark, resources)
    ctx = _Ctx(spark, base, declarations, resources, source_texts)
    if any(isinstance(r, Quote) for r in declarations.rules):
        texts = document_texts(ctx, out)  # type: ignore[arg-type]
        spark.createDataFrame([(k, v) for k, v in texts.items()] or [("", None)],
                              "id STRING, text STRING").createOrReplaceTempView(DOCUMENTS)
    for rule in declarations.rules:
        if isinstance(rule, Python):
            out.append(make("rule-error", f"{rule.label}: python rules run only with "
                            "--engine duckdb", resource=rule.resource, severity="warning"))
            continue
        try:
            for st in rule.statements():
                if all(ctx.has(t, *names) for t, names in st.reads.items()):
                    out += _statement_findings(spark, rule, st, resources)
        except Exception as exc:  # a bad rule must not hide the other findings
            reraise_interrupt(exc)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            out.append(make("rule-error", f"{rule.label} could not run: {first}",
                            resource=rule.resource))
    return out


def _statement_findings(spark: Any, rule: Any, st: Any,
                        resources: dict[str, SparkResource]) -> list[Finding]:
    sql = to_spark_sql(st.sql)
    shown = f"CAST({ident(st.field)} AS STRING)" if st.field else "NULL"
    row = spark.sql(f"SELECT count(*) AS n, min({shown}) AS lo, max({shown}) AS hi "
                    f"FROM ({sql}) AS __failing").collect()[0]
    n = int(row["n"])
    if not n:
        return []
    example = spark.sql(f"SELECT * FROM ({sql}) AS __failing LIMIT 1").collect()[0].asDict()
    r = resources[st.resource]
    return [finding(r, rule.code, rule.message(example), count=n, field=st.field,
                    values=[row["lo"], row["hi"]], severity=rule.severity)]
