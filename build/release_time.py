"""The one time an output may record: ``SOURCE_DATE_EPOCH``, else the package's ``created``.

No output reads the clock, so the same inputs give the same bytes. ``SOURCE_DATE_EPOCH``
(seconds since 1970, https://reproducible-builds.org/specs/source-date-epoch/) wins when it
is set, as that specification asks; otherwise the descriptor's ``created`` is used; with
neither, outputs record no time at all.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

ENV = "SOURCE_DATE_EPOCH"


class SourceDateError(ValueError):
    """``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds."""


def source_date_epoch() -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` as an aware UTC datetime, or None when it is not set."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise SourceDateError(f"{ENV} must be a whole number of seconds since 1970, not {raw!r}")
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise SourceDateError(f"{ENV}={raw} is out of range") from exc


def created(descriptor: Mapping[str, Any]) -> dt.datetime | None:
    """The descriptor's ``created`` (naive when it names no offset), or None."""
    value = str(descriptor.get("created") or "").strip()
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def release_time(descriptor: Mapping[str, Any]) -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` (UTC) when set, else ``created``, else None."""
    return source_date_epoch() or created(descriptor)


def release_time_utc(descriptor: Mapping[str, Any]) -> dt.datetime | None:
    """:func:`release_time` as a naive UTC datetime (a ``TIMESTAMP`` value)."""
    when = release_time(descriptor)
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(dt.UTC).replace(tzinfo=None)
