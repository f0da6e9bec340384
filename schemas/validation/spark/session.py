"""The Spark session: ``SPARK_REMOTE`` (Spark Connect), ``--master`` or ``local[*]``."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

#: quiet JVM logging: findings and errors reach the user through Python, not log lines
LOG4J = Path(__file__).with_name("log4j2.properties")
#: the heap of a local session (driver and executor in one JVM)
LOCAL_DRIVER_MEMORY = "3g"


def get_session(master: str | None = None, *, app_name: str = "semicon validate") -> Any:
    """A Spark session: Spark Connect when ``SPARK_REMOTE`` is set, else a classic session
    on ``master`` (``local[*]`` by default; ``yarn``, ``spark://...``, ``k8s://...``)."""
    from pyspark.sql import SparkSession

    remote = os.environ.get("SPARK_REMOTE")
    if remote and not master:
        return SparkSession.builder.remote(remote).appName(app_name).getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None and not master:
        return active
    if not master and os.environ.get("PYSPARK_GATEWAY_PORT"):
        # started by spark-submit: its --master and --conf hold
        return SparkSession.builder.appName(app_name).getOrCreate()
    master = master or os.environ.get("SPARK_MASTER") or "local[*]"
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile={LOG4J}")
    )
    if master.startswith("local"):
        # local workers run this interpreter (the one that has pandera and pyspark)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        # a few cores: a few shuffle partitions (the default of 200 is for clusters)
        builder = builder.config("spark.sql.shuffle.partitions", "8")
        if not os.environ.get("SPARK_DRIVER_MEMORY"):
            # the driver is the executor here: Spark's default 1 GB heap runs out caching
            # 10M rows; SPARK_DRIVER_MEMORY (Spark's own setting) overrides this
            builder = builder.config("spark.driver.memory", LOCAL_DRIVER_MEMORY)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("OFF")
    return session


def prepare(session: Any) -> None:
    """Settings the checks rely on, for any session (one of ``spark-submit`` too): a
    malformed CSV record is detected from all its cells, not just the ones read; the
    JSON probe (:mod:`.jsonprobe`) is registered."""
    from .jsonprobe import register

    with contextlib.suppress(Exception):  # a server may refuse to change it
        session.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")
    register(session)


def is_connect(session: Any) -> bool:
    """Whether ``session`` talks to a Spark Connect server (no SparkContext, no RDDs)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def spark_missing() -> str | None:
    """Why ``--engine spark`` cannot run here (the extra is not installed), or ``None``."""
    import importlib.util

    for module in ("pyspark", "pandera", "sqlglot"):
        if importlib.util.find_spec(module) is None:
            return (f"needs the spark extra (pip install 'semicon-nl[spark]'): "
                    f"{module} is not installed")
    return None


def java_missing() -> str | None:
    """Why a local Spark cannot start (no Java), or ``None``; Spark Connect needs no Java."""
    if os.environ.get("SPARK_REMOTE"):
        return None
    if os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java").exists():
        return None
    if shutil.which("java"):
        return None
    return "Java (17 or newer) is not installed: install it (Debian: default-jre-headless)"
