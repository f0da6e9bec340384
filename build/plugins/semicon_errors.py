"""Errors of the semicon-nl site (Datasette plugin, loaded with ``--plugins-dir``).

- ``handle_exception``: Datasette's error page without its default handler's cost: with
  ``rich`` installed, Datasette 0.65 prints a full traceback with every local variable for each
  exception, on the event loop (~0.3 s and ~74 KB of log for one bad SQL statement). This
  hook answers first (the default one is ``trylast``), so the default never runs. Errors
  caused by the request (a bad ``_sort``, ``_timelimit`` or ``_through``) answer 400, not 500.
- Every error is logged as ONE line, written by a background thread (``QueueHandler``):
  the request never waits for the log. Datasette's own per-statement SQL error dump (the
  whole SQL text) is switched off; the line here carries the start of it.
- uvicorn's access log shortens URLs to :data:`MAX_LOGGED` characters.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
import re
import sys
import traceback

from datasette import hookimpl
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400, Response
from datasette.views.base import DatasetteError
from markupsafe import Markup

#: characters of a URL, SQL text or message that go into one log line
MAX_LOGGED = 300
LOG = logging.getLogger("semicon.site")


def shorten(text: object, limit: int = MAX_LOGGED) -> str:
    """One line of at most ``limit`` characters (longer text says how long it was)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else f"{line[:limit]}... ({len(line):,} chars)"


class ShortAccessLine(logging.Filter):
    """uvicorn's access log with the URL shortened (a 60 KB query string is not logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and len(args[2]) > MAX_LOGGED:
            record.args = (*args[:2], shorten(args[2]), *args[3:])
        return True


def start_error_log() -> None:
    """Send ``semicon.site`` records through a queue to stderr, written by its own thread."""
    if LOG.handlers:
        return
    q: queue.SimpleQueue = queue.SimpleQueue()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    listener = logging.handlers.QueueListener(q, handler)
    listener.start()
    LOG.addHandler(logging.handlers.QueueHandler(q))
    LOG.setLevel(logging.INFO)
    LOG.propagate = False
    logging.getLogger("uvicorn.access").addFilter(ShortAccessLine())


def _where(exception: BaseException) -> str:
    """``file:line`` of the innermost frame: enough to find an unexpected error."""
    frames = traceback.extract_tb(exception.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


_INT = re.compile(r"\d+")


def bad_parameter(request) -> str | None:
    """What is wrong with the request's Datasette parameters that Datasette reads unchecked."""
    args = request.args
    limit = args.get("_timelimit")
    if limit is not None and not _INT.fullmatch(limit):
        return "_timelimit must be a whole number of milliseconds"
    for value in args.getlist("_through"):
        try:
            through = json.loads(value)
        except ValueError:
            through = None
        if not (isinstance(through, dict) and {"table", "column", "value"} <= set(through)):
            return '_through must be JSON like {"table": ..., "column": ..., "value": ...}'
    return None


def classify(request, exception: Exception) -> tuple[int, str, str | None, dict]:
    """Status, message, title and extra JSON fields of Datasette's error page."""
    if isinstance(exception, Base400):
        return exception.status, exception.args[0], None, {}
    if isinstance(exception, DatasetteError):
        message = Markup(exception.message) if exception.message_is_html else exception.message
        # Datasette raises DatasetteError only about the request (a column it cannot sort
        # by, an unknown _through, SQL it cannot run); 500 is its default status, not a bug.
        status = 400 if exception.status == 500 else exception.status
        return status, message, exception.title, dict(exception.error_dict)
    problem = bad_parameter(request)
    if problem is not None:
        return 400, problem, "Bad request", {}
    return 500, str(exception), None, {}


def log_line(request, status: int, exception: BaseException) -> None:
    where = _where(exception) if status >= 500 else ""
    LOG.log(logging.ERROR if status >= 500 else logging.INFO, "%s %s %s: %s: %s%s",
            status, request.method, shorten(request.path + (
                "?" + request.query_string if request.query_string else "")),
            type(exception).__name__, shorten(exception), where)


@hookimpl
def handle_exception(datasette, request, exception):
    """Datasette's error page (HTML or JSON), one log line, no rich traceback."""

    async def inner():
        status, message, title, info = classify(request, exception)
        log_line(request, status, exception)
        info.update({"ok": False, "error": message, "status": status, "title": title})
        headers: dict = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        return Response.html(
            await template.render_async(dict(
                info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
                menu_links=lambda: [])),
            status=status, headers=headers)

    return inner


def quiet_sql_errors(datasette) -> int:
    """Switch off Datasette's own stderr dump of each failing statement (its whole SQL and
    parameters, unbounded); the error reaches ``handle_exception``, which logs one line."""
    wrapped = 0
    for db in datasette.databases.values():
        original = db.execute
        if getattr(original, "_semicon_quiet", False):
            continue

        async def execute(sql, params=None, *args, _original=original, **kwargs):
            kwargs["log_sql_errors"] = False
            return await _original(sql, params, *args, **kwargs)

        execute._semicon_quiet = True  # type: ignore[attr-defined]
        db.execute = execute
        wrapped += 1
    return wrapped


#: Datasette's default exception handler (prints rich tracebacks, runs for every error)
DEFAULT_HANDLER = "datasette.handle_exception"


def replace_default_handler() -> bool:
    """Unregister Datasette's default ``handle_exception`` plugin (pluggy's ``unregister``).

    Datasette 0.65 awaits *every* ``handle_exception`` hook and uses the first response, so
    answering first is not enough: the default would still render its rich traceback.
    """
    from datasette.plugins import pm

    if pm.get_plugin(DEFAULT_HANDLER) is None:
        return False
    pm.unregister(name=DEFAULT_HANDLER)
    return True


@hookimpl
def startup(datasette):
    start_error_log()
    replace_default_handler()
    quiet_sql_errors(datasette)
