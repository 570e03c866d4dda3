"""A loopback HTTP server for benchmarks that play the web (``bench soak``'s pages, ``bench freshness``'s feeds):
threaded, quiet, on a free port of 127.0.0.1, serving while its ``with`` block runs."""

from __future__ import annotations

import http.server
import threading
from typing import Self


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that writes no access log."""

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


class LoopbackServer:
    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], name: str, server=QuietServer) -> None:
        self._httpd = server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name=name)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
