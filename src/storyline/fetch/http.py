"""The one way Storyline reads the network: polite, and safe against hostile servers and hostile URLs.

Every hop of a request (redirects included) is checked the same way: http(s) only, robots.txt obeyed, the
host resolved once and refused when any of its addresses is private, loopback, link-local or otherwise not
public, and the connection made to exactly the address that was checked, so a DNS answer that changes between
the check and the connect (rebinding) gains nothing. Responses are bounded in time as a whole (a server
trickling one byte at a time still stops at the deadline) and in size after decompression (a gzip bomb stops
at the cap).
"""

from __future__ import annotations

import codecs
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

import httpx

from storyline.config import Settings
from storyline.errors import BlockedURLError, FetchError, InputError, RobotsDisallowedError
from storyline.fetch.urls import require_http_url
from storyline.logs import get_logger

log = get_logger("fetch")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IPAddress]]
AddressPolicy = Callable[[IPAddress], bool]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, text/html;q=0.9, */*;q=0.5"
)
ROBOTS_MAX_BYTES = 500 * 1024  # the most of a robots.txt that crawlers are required to read (RFC 9309)
ROBOTS_TTL_S = 3600.0
MAX_ADDRESSES_TRIED = 3
POST_ANSWER_MAX_BYTES = 64 * 1024  # what a webhook answers is not read, only its status
# Validators are stored with the feed (columns of these sizes) and sent back verbatim on the next poll.
MAX_ETAG_CHARS = 500
MAX_LAST_MODIFIED_CHARS = 100
_ZLIB_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(slots=True, frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    content: bytes
    content_type: str | None  # the media type alone, lower case: "application/rss+xml"
    encoding: str | None  # the charset the server declared, when Python knows it
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


# Addresses ----------------------------------------------------------------------------------------------


def is_public_address(address: IPAddress) -> bool:
    """True for addresses on the public internet; IPv6 forms that embed an IPv4 address are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return is_public_address(embedded)
    refused = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not refused


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """All addresses a host name resolves to, in the system's preferred order (IP literals resolve to
    themselves, including the odd spellings like ``2130706433`` that mean 127.0.0.1)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError("cannot resolve host", subject=host) from exc
    addresses: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        addresses[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
    return list(addresses)


# Time -----------------------------------------------------------------------------------------------------


class HostThrottle:
    """Spaces the requests to one host at least ``delay`` seconds apart, across threads."""

    PRUNE_AT = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def wait(self, host: str, delay: float) -> None:
        if delay <= 0:
            return
        with self._lock:
            now = time.monotonic()
            if len(self._next_slot) > self.PRUNE_AT:
                self._next_slot = {h: t for h, t in self._next_slot.items() if t > now}
            start = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = start + delay
        if start > now:
            time.sleep(start - now)


# Politeness is owed to the remote host, whichever Fetcher object talks to it.
SHARED_THROTTLE = HostThrottle()


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def error(self, url: str) -> FetchError:
        return FetchError(f"no complete answer within {self.seconds:g} s", subject=url)


@contextmanager
def _watchdog(deadline: Deadline) -> Iterator[Callable[[str, dict[str, Any]], None]]:
    """An httpx trace hook that shuts the request's socket at the deadline.

    httpx's timeouts bound each read, not the exchange: a server sending a byte every few seconds, in the
    headers or the body, would never time out. Shutting the socket ends whatever read is waiting."""
    lock = threading.Lock()
    sockets: list[socket.socket] = []

    def shut(sock: socket.socket) -> None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def expire() -> None:
        with lock:
            for sock in sockets:
                shut(sock)

    def trace(event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete" or info.get("return_value") is None:
            return
        sock = info["return_value"].get_extra_info("socket")
        with lock:
            sockets.append(sock)
            if deadline.expired:
                shut(sock)

    timer = threading.Timer(deadline.remaining(), expire)
    timer.daemon = True
    timer.start()
    try:
        yield trace
    finally:
        timer.cancel()


# Bodies ---------------------------------------------------------------------------------------------------


class _BoundedDecoder:
    """Undoes the content coding while counting decoded bytes: decompression never produces more than one
    byte past the cap, so a small gzip bomb fails fast instead of expanding in memory."""

    def __init__(self, content_encoding: str, limit: int, subject: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in _ZLIB_WBITS):
            raise FetchError(f"unsupported content encoding {content_encoding!r}", subject=subject)
        self._coding = codings[0] if codings else None
        self._zlib = zlib.decompressobj(_ZLIB_WBITS[self._coding]) if self._coding else None
        self._limit, self._size, self._subject = limit, 0, subject

    def decode(self, data: bytes) -> bytes:
        if self._zlib is not None:
            data = self._decompress(data)
        return self._count(data)

    def flush(self) -> bytes:
        return self._count(self._zlib.flush()) if self._zlib is not None else b""

    def _decompress(self, data: bytes) -> bytes:
        assert self._zlib is not None
        try:
            return self._zlib.decompress(data, self._limit - self._size + 1)
        except zlib.error as exc:
            # Some servers send raw deflate without the zlib header that "deflate" promises.
            if self._coding == "deflate" and self._size == 0:
                self._zlib, self._coding = zlib.decompressobj(-zlib.MAX_WBITS), "raw deflate"
                return self._decompress(data)
            raise FetchError(f"cannot decompress the {self._coding} body", subject=self._subject) from exc

    def _count(self, data: bytes) -> bytes:
        self._size += len(data)
        if self._size > self._limit:
            raise FetchError(f"response larger than {self._limit} bytes", subject=self._subject)
        return data


def _declared_encoding(response: httpx.Response) -> str | None:
    """The charset from Content-Type when it names a text encoding Python has; else None, so that callers'
    ``content.decode(encoding or "utf-8")`` never meets an unknown or non-text codec."""
    name = response.charset_encoding
    if not name:
        return None
    try:
        b"x".decode(name, "replace")  # raises LookupError for codecs that are not text encodings
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


@dataclass(slots=True)
class _Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    encoding: str | None


# The fetcher --------------------------------------------------------------------------------------------


class Fetcher:
    """Fetches one URL at a time, following redirects by hand so that every hop is vetted.

    ``resolver``, ``address_policy`` and ``tls`` (certificate authorities) are the seams tests use to stand a
    loopback server in for a public host; production code passes only settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver = resolve_host,
        address_policy: AddressPolicy = is_public_address,
        throttle: HostThrottle = SHARED_THROTTLE,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self._resolve = resolver
        self._address_allowed = address_policy
        self._throttle = throttle
        self._robots: dict[str, tuple[RobotFileParser, float]] = {}
        self._robots_lock = threading.Lock()
        # The transport alone, not httpx.Client: redirects, proxies from the environment and cookies are all
        # decided here. No keep-alive: connections go to vetted IP addresses, and a pooled TLS connection must
        # never carry a request for another host name that happens to share the address.
        self._transport = httpx.HTTPTransport(verify=tls or True, limits=httpx.Limits(max_keepalive_connections=0))

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, user_agent: str | None = None
    ) -> FetchResult:
        """GETs a URL, conditionally when given validators. ``fetch_timeout_s`` bounds the whole fetch, redirects
        and politeness waits included (a robots.txt fetch gets its own). Raises ``FetchError`` or a subclass.
        ``user_agent`` replaces the configured one in this request (a feed's own setting); robots.txt is still
        read and obeyed as the configured agent."""
        agent = user_agent if user_agent and is_valid_user_agent(user_agent) else self.settings.user_agent
        headers = {"User-Agent": agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = Deadline(self.settings.fetch_timeout_s)
        started = time.monotonic()
        response = self._follow(url, headers, deadline, self.settings.fetch_max_bytes, self.settings.respect_robots)
        if response.status >= 400:
            raise FetchError(f"server answered HTTP {response.status}", subject=response.url)
        if 300 <= response.status < 400 and response.status != 304:
            raise FetchError(f"unusable redirect (HTTP {response.status})", subject=response.url)
        log.info(
            "fetched",
            url=response.url,
            status=response.status,
            bytes=len(response.content),
            ms=round((time.monotonic() - started) * 1000),
        )
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return FetchResult(
            url=response.url,
            status=response.status,
            content=response.content,
            content_type=content_type or None,
            encoding=response.encoding,
            etag=_validator(response.headers.get("etag"), MAX_ETAG_CHARS),
            last_modified=_validator(response.headers.get("last-modified"), MAX_LAST_MODIFIED_CHARS),
            not_modified=response.status == 304,
        )

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POSTs ``body`` once to a vetted address and returns the answer's status: the same address checks as a
        fetch, but no redirects (a POST is not repeated elsewhere) and no robots.txt (its owner asked for it).
        Raises ``FetchError`` or a subclass."""
        deadline = Deadline(self.settings.fetch_timeout_s)
        request_headers = {"User-Agent": self.settings.user_agent, **headers}
        response = self._exchange(_checked_url(url), request_headers, deadline, POST_ANSWER_MAX_BYTES, "POST", body)
        log.info("posted", url=url, status=response.status, bytes=len(body))
        return response.status

    # Redirects and robots ---------------------------------------------------------------------------------

    def _follow(
        self, url: str, headers: dict[str, str], deadline: Deadline, max_bytes: int, obey_robots: bool
    ) -> _Response:
        current = _checked_url(url)
        seen = {current}
        for _hop in range(self.settings.fetch_max_redirects + 1):
            if obey_robots:
                self._check_robots(current)
            response = self._exchange(current, headers, deadline, max_bytes)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            target = _redirect_target(current, location)
            if target in seen:
                raise FetchError("redirect loop", subject=target)
            log.debug("redirect", url=current, to=target, status=response.status)
            seen.add(target)
            current = target
        raise FetchError(f"more than {self.settings.fetch_max_redirects} redirects", subject=url)

    def _check_robots(self, url: str) -> None:
        origin = _origin(url)
        with self._robots_lock:
            parser, expires = self._robots.get(origin, (None, 0.0))
        if parser is None or expires < time.monotonic():
            parser = self._load_robots(origin)
            with self._robots_lock:
                self._robots[origin] = (parser, time.monotonic() + ROBOTS_TTL_S)
        if not parser.can_fetch(self.settings.user_agent, url):
            raise RobotsDisallowedError("robots.txt disallows this URL", subject=url)

    def _load_robots(self, origin: str) -> RobotFileParser:
        """RFC 9309: a missing robots.txt (any 4xx) allows everything; a failing one (5xx) is retried later."""
        headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"}
        robots_url = f"{origin}/robots.txt"
        deadline = Deadline(self.settings.fetch_timeout_s)
        response = self._follow(robots_url, headers, deadline, ROBOTS_MAX_BYTES, obey_robots=False)
        if response.status >= 500:
            raise FetchError(f"robots.txt answered HTTP {response.status}", subject=robots_url)
        parser = RobotFileParser(robots_url)
        if 200 <= response.status < 300:
            parser.parse(response.content.decode("utf-8", "replace").splitlines())
        else:
            parser.allow_all = True
        return parser

    # One request ------------------------------------------------------------------------------------------

    def _exchange(
        self,
        url: str,
        headers: dict[str, str],
        deadline: Deadline,
        max_bytes: int,
        method: str = "GET",
        content: bytes | None = None,
    ) -> _Response:
        target = httpx.URL(url)
        host = target.raw_host.decode("ascii")
        addresses = self._vetted_addresses(host, target.port or (443 if target.scheme == "https" else 80), url)
        self._throttle.wait(host, self.settings.per_host_delay_s)
        failure: Exception | None = None
        for address in addresses[:MAX_ADDRESSES_TRIED]:
            try:
                return self._exchange_with(address, target, url, headers, deadline, max_bytes, method, content)
            except httpx.ConnectError as exc:  # a host with several addresses may answer on the next one
                failure = exc
            except httpx.TimeoutException as exc:
                raise deadline.error(url) from exc
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if deadline.expired:
                    raise deadline.error(url) from exc
                raise FetchError(f"request failed: {exc.__class__.__name__}: {exc}", subject=url) from exc
        raise FetchError(f"cannot connect: {failure}", subject=url) from failure

    def _vetted_addresses(self, host: str, port: int, url: str) -> list[IPAddress]:
        addresses = self._resolve(host, port)
        if not addresses:
            raise FetchError("host has no address", subject=url)
        if not self.settings.allow_private_hosts:
            refused = [address for address in addresses if not self._address_allowed(address)]
            if refused:
                raise BlockedURLError(f"host resolves to a non-public address, {refused[0]}", subject=url)
        return addresses

    def _exchange_with(
        self,
        address: IPAddress,
        target: httpx.URL,
        url: str,
        headers: dict[str, str],
        deadline: Deadline,
        max_bytes: int,
        method: str,
        content: bytes | None,
    ) -> _Response:
        if deadline.expired:
            raise deadline.error(url)
        # Connect to the vetted address; the host name still goes in the Host header and in TLS (SNI and
        # certificate check), so virtual hosting and HTTPS work as usual.
        extensions: dict[str, Any] = {"timeout": httpx.Timeout(deadline.remaining()).as_dict()}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.raw_host.decode("ascii")
        with _watchdog(deadline) as trace:
            extensions["trace"] = trace
            request = httpx.Request(
                method,
                target.copy_with(host=str(address)),
                headers={**headers, "Host": target.netloc.decode("ascii")},
                content=content,
                extensions=extensions,
            )
            response = self._transport.handle_request(request)
            try:
                content = self._read_body(response, url, deadline, max_bytes) if response.is_success else b""
            finally:
                response.close()
        return _Response(url, response.status_code, response.headers, content, _declared_encoding(response))

    @staticmethod
    def _read_body(response: httpx.Response, url: str, deadline: Deadline, max_bytes: int) -> bytes:
        encoding = response.headers.get("content-encoding", "")
        declared = response.headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"response larger than {max_bytes} bytes", subject=url)
        decoder = _BoundedDecoder(encoding, max_bytes, url)
        chunks = []
        for raw in response.iter_raw():
            chunks.append(decoder.decode(raw))
            if deadline.expired:
                raise deadline.error(url)
        chunks.append(decoder.flush())
        return b"".join(chunks)


MAX_USER_AGENT_CHARS = 300


def is_valid_user_agent(value: str) -> bool:
    """Printable ASCII only (no line breaks that could split the header), within the stored size."""
    return 0 < len(value) <= MAX_USER_AGENT_CHARS and all(" " <= character <= "~" for character in value)


def _validator(value: str | None, limit: int) -> str | None:
    """A cut validator would never match again: one too long to store is dropped."""
    return value if value and len(value) <= limit else None


def _checked_url(url: str) -> str:
    try:
        checked = require_http_url(url).split("#", 1)[0]
        httpx.URL(checked)  # what we accept, httpx must be able to send
    except (InputError, httpx.InvalidURL) as exc:
        raise BlockedURLError("only http and https URLs with a valid host are fetched", subject=url[:200]) from exc
    return checked


def _redirect_target(current: str, location: str) -> str:
    try:
        return _checked_url(urljoin(current, location.strip()))
    except ValueError as exc:  # urljoin on a malformed Location, e.g. "http://[oops"
        raise FetchError("redirect to a malformed URL", subject=location[:200]) from exc


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"
