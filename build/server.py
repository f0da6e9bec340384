"""The site's server process: ``datasette serve``'s arguments, uvicorn set up for the public.

    python -m semicon.build.server <datasette serve arguments>
    python server.py <datasette serve arguments>          # in the folder `semicon publish` writes

Datasette 0.65's ``serve`` runs uvicorn with its defaults. This runs the same Datasette
(built by ``datasette serve``'s own command from the same arguments) under uvicorn with:

- proxy headers (``X-Forwarded-Proto``/``-For``) trusted only from the addresses in the
  ``FORWARDED_ALLOW_IPS`` environment variable (uvicorn's own name for it; ``*`` for any),
  and from nowhere when it is unset (uvicorn would trust 127.0.0.1);
- a deadline for every request's headers (:class:`HeaderDeadlineH11`): a client that sends
  them slowly is disconnected after :data:`HEADER_TIMEOUT` seconds;
- at most :data:`LIMIT_CONCURRENCY` connections and tasks (then ``503``), idle keep-alive
  connections closed after 5 s;
- the port bound before anything else, with a one-line message if it is taken (exit 2), and
  Ctrl+C at any moment one line (exit 130): no traceback.

Only the standard library, Datasette and uvicorn are imported: ``semicon publish`` copies this
file into its folder.
"""

from __future__ import annotations

import os
import socket
import sys

#: seconds a client has to send a request's headers (from connecting or from the last response)
HEADER_TIMEOUT = 5.0
#: connections plus running tasks before new requests get 503 (within a 1,024-file limit;
#: slow-header connections are closed after HEADER_TIMEOUT, so they cannot hold it long)
LIMIT_CONCURRENCY = 1000
#: seconds an idle keep-alive connection stays open
TIMEOUT_KEEP_ALIVE = 5
EXIT_UNUSABLE = 2
EXIT_INTERRUPTED = 130
PROG = "semicon serve"


def server_command(*args: str) -> list[str]:
    """The command running this module with ``datasette serve`` arguments ``args``."""
    return [sys.executable, "-m", "semicon.build.server", *args]


class PortInUse(OSError):
    """The address to listen on cannot be bound."""


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (uvicorn listens on it), or :class:`PortInUse`."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise PortInUse(f"cannot listen on {host}: {exc.strerror}") from None
    # IPPROTO_TCP named: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on accepted
    # sockets whose listener says TCP; with proto 0 a response's last partial segment waited
    # for the client's delayed ACK (~40 ms for each small response on a kept-alive connection).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"port {port} on {host} is not available ({exc.strerror}): "
                        "choose another with --port") from None
    sock.set_inheritable(True)
    return sock


def header_deadline_protocol(timeout: float):
    """uvicorn's h11 protocol with a deadline for each request's headers.

    uvicorn has no such timeout: its keep-alive timer starts only after a response and is
    reset by every byte received, so a client trickling header bytes holds a connection
    forever. Here a timer starts when a connection opens and after each response; if no
    complete request has arrived by then, the connection is closed.
    """
    import asyncio

    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadlineH11(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _waiting_since = None

        def _arm(self) -> None:
            self._disarm()
            self._waiting_since = self.cycle
            self._deadline = self.loop.call_later(timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            waiting = self.cycle is None or self.cycle.response_complete
            if self.cycle is self._waiting_since and waiting \
                    and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:  # a request's headers arrived
                self._disarm()

        def on_response_complete(self) -> None:
            self._arm()
            super().on_response_complete()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadlineH11


def parse(args: list[str]):
    """``datasette serve ARGS`` parsed by Datasette's own command (its checks, its errors)."""
    from datasette import cli

    # datasette.cli installs rich's traceback hook (locals included) on import: undo it.
    sys.excepthook = sys.__excepthook__
    return cli.serve.make_context("datasette serve", list(args))


def build_datasette(ctx):
    """The Datasette instance ``datasette serve`` would run, its startup hooks done."""
    from datasette import cli

    # ``return_instance`` makes Datasette's own command build the instance and stop there.
    ds = ctx.invoke(cli.serve.callback, **ctx.params, return_instance=True)
    cli.run_sync(ds.invoke_startup)
    cli.run_sync(lambda: cli.check_databases(ds))
    return ds


def uvicorn_config(app, forwarded: str | None):
    import uvicorn

    return uvicorn.Config(
        app, log_level="info", lifespan="on", workers=1,
        proxy_headers=bool(forwarded), forwarded_allow_ips=forwarded or "",
        http=header_deadline_protocol(HEADER_TIMEOUT),
        limit_concurrency=LIMIT_CONCURRENCY, timeout_keep_alive=TIMEOUT_KEEP_ALIVE,
    )


def serve(args: list[str]) -> int:
    import click
    import uvicorn

    try:
        ctx = parse(args)
        sock = bind(ctx.params["host"], ctx.params["port"])  # before anything is loaded
        ds = build_datasette(ctx)
    except click.ClickException as exc:
        print(f"{PROG}: {exc.format_message()}", file=sys.stderr)
        return EXIT_UNUSABLE
    forwarded = os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or None
    server = uvicorn.Server(uvicorn_config(ds.app(), forwarded))
    server.run(sockets=[sock])
    return 0 if server.started else EXIT_UNUSABLE


def main(argv: list[str] | None = None) -> int:
    try:
        return serve(sys.argv[1:] if argv is None else argv)
    except PortInUse as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
