"""A streaming test server for the fetcher: handlers write their own answers, so a test can trickle bytes,
stream 50 MB without holding it, or send a gzip bomb. It can listen on any loopback address, which lets a
test treat 127.0.0.2 as a "public" host while 127.0.0.1 stays private."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from storyline.config import Settings
from storyline.fetch.http import Fetcher, HostThrottle, is_public_address

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]
PUBLIC_TEST_ADDRESS = "127.0.0.2"


class StreamingServer:
    def __init__(self, address: str, tls: ssl.SSLContext | None = None) -> None:
        self.handlers: dict[str, Handler] = {}
        self.paths: list[str] = []
        server = self

        class RequestHandler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.paths.append(self.path)
                handler = server.handlers.get(self.path)
                if handler is None:
                    StreamingServer.reply(self, 404, b"not found")
                    return
                handler(self)

            def log_message(self, *args) -> None:
                pass

        class QuietServer(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # clients that hang up mid-answer are the point of several tests

        self._httpd = QuietServer((address, 0), RequestHandler)
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self._httpd.server_address[0]}:{self.port}{path}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def serve(self, path: str, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.handlers[path] = lambda request: self.reply(request, status, body, headers)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.serve(path, status, headers={"Location": location})

    @staticmethod
    def reply(
        request: http.server.BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict | None = None
    ) -> None:
        request.send_response(status)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


def treat_test_address_as_public(address: IPv4Address | IPv6Address) -> bool:
    return address == ip_address(PUBLIC_TEST_ADDRESS) or is_public_address(address)


@pytest.fixture
def public_server() -> Iterator[StreamingServer]:
    """Listens on 127.0.0.2, which fetchers from ``make_fetcher`` treat as a public address."""
    server = StreamingServer(PUBLIC_TEST_ADDRESS)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def make_fetcher() -> Callable[..., Fetcher]:
    """Fetchers with the SSRF guard on (127.0.0.2 counting as public), robots off, no politeness delay and a
    short timeout unless a test says otherwise; ``resolver`` replaces DNS."""

    def make(resolver=None, tls: ssl.SSLContext | None = None, **overrides) -> Fetcher:
        values = dict(allow_private_hosts=False, per_host_delay_s=0.0, respect_robots=False, fetch_timeout_s=5.0)
        values.update(overrides)
        seams = {"resolver": resolver} if resolver else {}
        return Fetcher(
            Settings(**values),
            address_policy=treat_test_address_as_public,
            throttle=HostThrottle(),
            tls=tls,
            **seams,
        )

    return make


TLS_HOST = "news.example"


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for ``news.example`` (made with the openssl command line tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={TLS_HOST}",
         "-addext", f"subjectAltName=DNS:{TLS_HOST}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(tls_certificate) -> Iterator[StreamingServer]:
    """An HTTPS server on 127.0.0.2 presenting the ``news.example`` certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_certificate)
    server = StreamingServer(PUBLIC_TEST_ADDRESS, tls=context)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def tls_client(tls_certificate) -> ssl.SSLContext:
    """A client context trusting only the test certificate."""
    return ssl.create_default_context(cafile=tls_certificate[0])
