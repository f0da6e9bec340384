"""JSON cells on Spark: what DuckDB's JSON reader says of them, as a Python function.

The DuckDB engine checks ``object``, ``array``, ``geojson`` and the JSON forms of
``geopoint`` with DuckDB's JSON functions, whose reader (yyjson) is lenient in ways
Spark's (Jackson: ``try_parse_json``, ``get_json_object``) is not, and the other way
round: DuckDB takes ``nan``/``inf``/``infinity`` in any case and repeated keys, and
refuses text after the value (``{"a":1}x``); Spark refuses the first two and reads past
the last. A trailing comma (``[1,2,]``), which DuckDB's reader also takes, the DuckDB
engine refuses as Python's ``json.loads`` does. Python's ``json`` is strict JSON plus
``NaN`` and ``Infinity``: a cell is brought to it with only the other leniencies
rewritten, so the verdicts are the DuckDB engine's.

:func:`json_probe` is registered as the SQL function :data:`FUNCTION` (a Python UDF);
its body uses the standard library only, so the executors of a cluster need Python but
not this package.
"""

from __future__ import annotations

from typing import Any

#: the SQL name of the probe in a session (see :func:`register`)
FUNCTION = "semicon_json"
#: what the probe returns: the kind of value (``OBJECT``, ``ARRAY`` or ``SCALAR``), the
#: number of items or keys (repeated keys counted), the text of the object's first ``type``
#: key, and two values as DuckDB's ``json_extract_string`` gives them: ``$[0]`` and ``$[1]``
#: of an array, ``$.lon`` and ``$.lat`` of an object
RETURNS = "kind STRING, size INT, type STRING, v0 STRING, v1 STRING"


def json_probe(text: str | None) -> tuple[Any, ...] | None:
    """What DuckDB's JSON reader makes of ``text``; ``None`` where it is not JSON."""
    import json
    import re

    if text is None:
        return None
    token = re.compile(r'("(?:[^"\\]|\\.)*")'
                       r"|(?<![\w.+-])(-?)(infinity|inf|nan)(?![\w.])", re.IGNORECASE)

    def rewrite(m: Any) -> str:
        if m.group(1) is not None:  # a string: kept as it is
            return m.group(1)
        return "NaN" if m.group(3).lower() == "nan" else m.group(2) + "Infinity"

    try:
        value = json.loads(token.sub(rewrite, text), object_pairs_hook=lambda p: (p,))
        if re.search(r"\\u[dD][89a-fA-F]", text):  # lone surrogates are not text
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return None

    def shown(v: Any) -> str | None:
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        return json.dumps(v)

    def first(pairs: list, key: str) -> str | None:
        return next((shown(v) for k, v in pairs if k == key), None)

    if isinstance(value, tuple):
        pairs = value[0]
        return ("OBJECT", len(pairs), first(pairs, "type"), first(pairs, "lon"),
                first(pairs, "lat"))
    if isinstance(value, list):
        return ("ARRAY", len(value), None, shown(value[0]) if value else None,
                shown(value[1]) if len(value) > 1 else None)
    return ("SCALAR", 0, None, None, None)


def register(session: Any) -> None:
    """Make :data:`FUNCTION` callable from the session's SQL (the function travels to
    the executors by value)."""
    import sys

    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    session.udf.register(FUNCTION, json_probe, RETURNS)
