"""Whether the Spark tests can run here: they are skipped only where Java or the
``spark`` extra is missing and CI is not the caller (in CI a missing one fails)."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def extra_missing() -> str | None:
    try:
        import pandera.pyspark  # noqa: F401
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        return f"the spark extra is not installed ({exc})"
    return None


def spark_missing() -> str | None:
    from semicon.schemas.validation.spark.session import java_missing

    return extra_missing() or java_missing()


def require(reason: str | None) -> None:
    """Skip for ``reason`` on a developer's machine; in CI the Spark tests must run."""
    if reason:
        if IN_CI:
            pytest.fail(f"CI must run the Spark tests: {reason}")
        pytest.skip(reason)
