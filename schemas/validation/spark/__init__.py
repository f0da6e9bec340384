"""``semicon validate --engine spark``: the package's checks on Apache Spark (PySpark).

Installed with the ``spark`` extra (``pip install 'semicon-nl[spark]'``); see docs/spark.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .engine import validate_package_spark

__all__ = ["validate_package_spark"]


def __getattr__(name: str) -> Any:
    if name == "validate_package_spark":
        from .engine import validate_package_spark

        return validate_package_spark
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
