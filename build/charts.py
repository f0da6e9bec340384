"""Charts declared by a package (``semicon.site.charts``), drawn from the built database.

The site's home page opens with them ("at a glance"): ``semicon serve`` and ``semicon
publish`` run each chart's query on the SQLite file they serve and draw it into the site's
metadata (``drawn_charts`` of the ``semicon-site`` plugin), which ``semicon_charts.py`` shows.

Each chart is an SQL query and a Vega-Lite spec without data (docs/declarations.md#site)::

    {"name": "grants", "title": "...", "description": "...",
     "sql": "SELECT grant_id, region, amount FROM grants WHERE ...",
     "link": {"resource": "grants", "key": ["grant_id"]},
     "spec": {"mark": "bar", "encoding": {...}}}

The query's rows become the spec's data; ``link`` gives every row the URL of the row it
comes from (``key``: the primary key columns) or of the table filtered on some of its
columns (``filter``), and each mark links there (Vega-Lite's ``href`` channel). A chart with
``"kind": "figures"`` has no spec: its rows (``label``, ``value``, optional ``note``) are
shown as key figures. Charts are drawn on the server as SVG with vl-convert (Vega-Lite
bundled, no network, no script in the page), twice: a wide one for screens and a narrow one
for phones. The rows are also given as a table, the text alternative of the picture.
"""


from __future__ import annotations

import copy
import hashlib
import html
import json
import re
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: widths (px) the wide and the narrow drawing are made for
WIDE, NARROW = 560, 300
KINDS = ("vega-lite", "figures")


class ChartError(ValueError):
    """A chart declaration that cannot be drawn: one line naming the chart."""


@dataclass(frozen=True)
class Link:
    """Where a chart's rows link: a row (``key`` columns) or a filtered table (``filter``)."""

    resource: str
    key: tuple[str, ...] = ()
    filter: tuple[str, ...] = ()
    #: a column of the query holding each row's resource (rows from several tables)
    resource_field: str | None = None

    def resource_of(self, row: Mapping[str, Any]) -> str | None:
        return str(row.get(self.resource_field) or "") or None if self.resource_field \
            else self.resource


@dataclass
class Chart:
    """One declared chart."""

    name: str
    title: str
    sql: str
    kind: str = "vega-lite"
    description: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    link: Link | None = None
    #: the columns the text alternative shows, in order (default: every column but href)
    columns: list[str] = field(default_factory=list)


@dataclass
class Drawn:
    """A chart drawn from data: its rows (with ``href``), its SVGs and its table."""

    chart: Chart
    columns: list[str]
    rows: list[dict[str, Any]]
    svg_wide: str = ""
    svg_narrow: str = ""
    error: str | None = None


def parse_charts(raw: Any) -> list[Chart]:
    """The charts of a ``semicon.site.charts`` value (a list); :class:`ChartError` if malformed."""
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise ChartError("semicon.site.charts must be a list of charts")
    out: list[Chart] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise ChartError(f"chart {i} is not an object")
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name) or name in seen:
            raise ChartError(f"chart {i}: 'name' must be a unique lowercase slug")
        seen.add(name)
        kind = item.get("kind", "vega-lite")
        if kind not in KINDS:
            raise ChartError(f"chart {name}: 'kind' must be one of {', '.join(KINDS)}")
        sql = item.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise ChartError(f"chart {name}: 'sql' is required")
        spec = item.get("spec") or {}
        if kind == "vega-lite" and (not isinstance(spec, Mapping) or not spec):
            raise ChartError(f"chart {name}: a Vega-Lite 'spec' is required")
        if isinstance(spec, Mapping) and ("data" in spec or "datasets" in spec):
            raise ChartError(f"chart {name}: the spec takes its data from 'sql', not 'data'")
        out.append(Chart(
            name=name, title=str(item.get("title") or name), sql=sql, kind=kind,
            description=str(item.get("description") or ""), spec=dict(spec),
            link=_parse_link(name, item.get("link")),
            columns=[str(c) for c in item.get("columns") or []]))
    return out


def _parse_link(name: str, raw: Any) -> Link | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not (isinstance(raw.get("resource"), str)
                                            or isinstance(raw.get("resourceField"), str)):
        raise ChartError(f"chart {name}: 'link' needs a 'resource' or a 'resourceField'")
    key = raw.get("key") or []
    flt = raw.get("filter") or []
    key = [key] if isinstance(key, str) else list(key)
    flt = [flt] if isinstance(flt, str) else list(flt)
    if bool(key) == bool(flt):
        raise ChartError(f"chart {name}: 'link' takes either 'key' or 'filter' columns")
    return Link(str(raw.get("resource") or ""), tuple(map(str, key)), tuple(map(str, flt)),
                raw.get("resourceField"))


def link_rows(chart: Chart, rows: list[dict[str, Any]],
              row_url: Callable[[str, Sequence[Any]], str],
              table_url: Callable[[str], str]) -> None:
    """Give every row an ``href`` from the chart's ``link`` (kept if the SQL made one)."""
    link = chart.link
    if link is None:
        return
    for row in rows:
        resource = link.resource_of(row)
        if row.get("href") or not resource:
            continue
        if link.key:
            values = [row.get(c) for c in link.key]
            if all(v is not None for v in values):
                row["href"] = row_url(resource, values)
        else:
            args = {c: row[c] for c in link.filter if row.get(c) is not None}
            row["href"] = table_url(resource) + ("?" + urlencode(args) if args else "")


def full_spec(chart: Chart, rows: list[dict[str, Any]], width: int) -> dict[str, Any]:
    """The chart's spec with its rows as data, its width and the ``href`` channel."""
    spec = copy.deepcopy(chart.spec)
    spec.setdefault("$schema", VEGA_LITE_SCHEMA)
    spec["data"] = {"values": rows}
    if "facet" not in spec and "repeat" not in spec and "concat" not in spec:
        spec["width"] = width
    elif isinstance(spec.get("spec"), dict):
        spec["spec"]["width"] = width
    if chart.link is not None and "mark" in spec:
        enc = spec.setdefault("encoding", {})
        enc.setdefault("href", {"field": "href"})
    config = spec.setdefault("config", {})
    config.setdefault("font", "DejaVu Sans, Verdana, sans-serif")
    # long labels get less room on a phone-sized drawing
    config.setdefault("axisY", {}).setdefault("labelLimit", 150 if width <= NARROW else 260)
    config.setdefault("legend", {}).setdefault("labelLimit", 240 if width <= NARROW else 400)
    return spec


_SVG_SIZE = re.compile(
    r'^<svg([^>]*?) width="([\d.]+)" height="([\d.]+)" viewBox="0 0 ([\d.]+) ([\d.]+)"')
_INNER_ARIA = re.compile(r' (?:role|aria-roledescription|aria-label|aria-description)="[^"]*"')
#: room (px) around the drawing for text a browser's font draws wider than it was measured
MARGIN = 24


_ID = re.compile(r'\bid="([^"]+)"')


def scoped_ids(svg: str, prefix: str) -> str:
    """Prefix the SVG's element ids (clip paths): several drawings share one page."""
    for name in set(_ID.findall(svg)):
        new = f"{prefix}-{name}"
        svg = (svg.replace(f'id="{name}"', f'id="{new}"')
               .replace(f"url(#{name})", f"url(#{new})")
               .replace(f'href="#{name}"', f'href="#{new}"'))
    return svg


def responsive_svg(svg: str, title: str) -> str:
    """An SVG that scales with its box, named for assistive technology, with no fixed size.

    Vega lays text out with the fonts it measures here; a browser may draw them a little
    wider, so the view box gets a margin that keeps axis labels from being cut off.
    """
    head, sep, body = svg.partition(">")
    # the picture is one image (its table is the text alternative): no inner ARIA roles
    svg = head + sep + _INNER_ARIA.sub("", body)
    m = _SVG_SIZE.match(svg)
    if m:
        w, h = float(m.group(4)) + 2 * MARGIN, float(m.group(5)) + MARGIN
        svg = (f'<svg{m.group(1)} viewBox="{-MARGIN} {-MARGIN / 2:g} {w:g} {h:g}" '
               f'role="img" aria-label="{html.escape(title)}" '
               f'preserveAspectRatio="xMinYMin meet"' + svg[m.end():])
    return svg


#: Vega resolves link URLs against its data loader's base URL; the site's are its own paths
_LOADER_BASE = re.compile(r'xlink:href="https://vega\.github\.io/vega-datasets/(/[^"]*)"')


def render_svg(spec: dict[str, Any]) -> str:
    """Vega-Lite to SVG with vl-convert (Vega and Vega-Lite ship in its wheel).

    A mark's link is for the pointer: the keyboard and screen readers reach the same links
    in the chart's table, so the marks stay out of the tab order.
    """
    import vl_convert

    svg = _LOADER_BASE.sub(r'xlink:href="\1"', vl_convert.vegalite_to_svg(spec))
    return svg.replace("<a xlink:href=", '<a tabindex="-1" xlink:href=')


def draw(chart: Chart, columns: list[str], rows: list[dict[str, Any]],
         render: Callable[[dict[str, Any]], str] = render_svg) -> Drawn:
    """Draw ``chart`` over ``rows`` (already linked); a rendering error is kept, not raised."""
    shown = chart.columns or [c for c in columns if c != "href"]
    out = Drawn(chart, shown, rows)
    if chart.kind != "vega-lite":
        return out
    try:
        for size, width in (("wide", WIDE), ("narrow", NARROW)):
            svg = render(full_spec(chart, rows, width))
            svg = scoped_ids(responsive_svg(svg, chart.title), f"{chart.name}-{size}")
            setattr(out, f"svg_{size}", svg)
    except Exception as exc:  # a bad spec shows as a message on its chart, not a 500
        out.error = f"chart {chart.name} could not be drawn: {str(exc).splitlines()[0]}"
    return out


# ---------------------------------------------------------------------------------------
# drawing from the built database

#: longest a chart's query may run
QUERY_SECONDS = 5.0


def query(db: Path, sql: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Run ``sql`` on the SQLite file ``db``, read-only, within ``QUERY_SECONDS``."""
    con = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    deadline = time.monotonic() + QUERY_SECONDS
    con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description or []]
        return columns, [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def site_urls(database: str) -> tuple[Callable[[str, Sequence[Any]], str], Callable[[str], str]]:
    """Datasette's row and table paths on a site serving ``database``."""
    from datasette.utils import tilde_encode

    base = "/" + tilde_encode(database)

    def row_url(table: str, values: Sequence[Any]) -> str:
        return f"{base}/{tilde_encode(table)}/" + ",".join(tilde_encode(str(v)) for v in values)

    def table_url(table: str) -> str:
        return f"{base}/{tilde_encode(table)}"

    return row_url, table_url


def as_config(drawn: Drawn) -> dict[str, Any]:
    """A drawn chart as the site's metadata carries it (plain JSON)."""
    c = drawn.chart
    return {"name": c.name, "kind": c.kind, "title": c.title, "description": c.description,
            "columns": drawn.columns, "rows": drawn.rows, "svg_wide": drawn.svg_wide,
            "svg_narrow": drawn.svg_narrow, "error": drawn.error}


def draw_charts(raw: Any, db: Path, database: str,
                render: Callable[[dict[str, Any]], str] = render_svg) -> list[dict[str, Any]]:
    """Every chart of the declaration ``raw`` drawn from ``db`` (served as ``database``).

    A query or spec that fails shows as a message on its chart; a malformed declaration
    raises :class:`ChartError`.
    """
    row_url, table_url = site_urls(database)
    out = []
    for chart in parse_charts(raw):
        try:
            columns, rows = query(db, chart.sql)
        except sqlite3.Error as exc:
            out.append(as_config(Drawn(chart, [], [], error=f"chart {chart.name}: the query "
                                                           f"failed: {exc}")))
            continue
        link_rows(chart, rows, row_url, table_url)
        out.append(as_config(draw(chart, columns, rows, render)))
    return out


def draw_charts_cached(raw: Any, db: Path, database: str, cache: Path
                       ) -> list[dict[str, Any]]:
    """:func:`draw_charts`, kept in ``cache`` until the declaration, the database or this
    module changes (drawing takes seconds; the site is started far more often than built)."""
    st = db.stat()
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # how they are drawn
    key = hashlib.sha256(json.dumps([raw, database, st.st_size, st.st_mtime_ns, code],
                                    sort_keys=True, default=str).encode()).hexdigest()
    try:
        kept = json.loads(cache.read_text(encoding="utf-8"))
        if kept.get("key") == key:
            return kept["charts"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    charts = draw_charts(raw, db, database)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.tmp")
    tmp.write_text(json.dumps({"key": key, "charts": charts}, ensure_ascii=False), "utf-8")
    tmp.replace(cache)
    return charts
