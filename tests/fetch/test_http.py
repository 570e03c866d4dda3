"""The fetcher against loopback servers: conditional GET, caps on size and time, redirects, the SSRF guard,
robots.txt, politeness and declared encodings."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from ipaddress import ip_address

import pytest

from storyline.config import Settings
from storyline.errors import BlockedURLError, FetchError, RobotsDisallowedError
from storyline.fetch.http import Fetcher, HostThrottle, is_public_address

MB = 1024 * 1024
PUBLIC_TEST_ADDRESS = "127.0.0.2"  # see conftest.public_server


# Plain fetching -----------------------------------------------------------------------------------------


def test_conditional_get_sends_validators_and_reports_not_modified(loopback_server, make_fetcher):
    def feed(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.end_headers()
            return None
        return b"<rss/>"

    loopback_server.routes["/feed"] = (200, {"ETag": '"v1"', "Last-Modified": "Mon, 16 Jun 2025 10:00:00 GMT"}, feed)
    fetcher = make_fetcher(allow_private_hosts=True)
    first = fetcher.fetch(loopback_server.url("/feed"))
    assert (first.status, first.content, first.not_modified) == (200, b"<rss/>", False)
    assert first.etag == '"v1"' and first.last_modified == "Mon, 16 Jun 2025 10:00:00 GMT"

    second = fetcher.fetch(loopback_server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.content == b""
    headers = loopback_server.requests[-1][1]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Mon, 16 Jun 2025 10:00:00 GMT"
    assert headers["User-Agent"] == Settings().user_agent


def test_validators_too_long_to_store_are_dropped(public_server, make_fetcher):
    public_server.serve("/feed", 200, b"<rss/>", {"ETag": '"' + "e" * 600 + '"', "Last-Modified": "x" * 200})
    result = make_fetcher().fetch(public_server.url("/feed"))
    assert result.etag is None and result.last_modified is None


@pytest.mark.parametrize("status", [403, 404, 410, 500, 503])
def test_error_statuses_name_the_status_and_url(public_server, status, make_fetcher):
    public_server.serve("/page", status, b"nope")
    url = public_server.url("/page")
    with pytest.raises(FetchError, match=rf"HTTP {status}.*{url}"):
        make_fetcher().fetch(url)


def test_connection_refused_is_a_fetch_error(public_server, make_fetcher):
    url = public_server.url("/closed")
    public_server.close()
    with pytest.raises(FetchError, match="cannot connect") as caught:
        make_fetcher().fetch(url)
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("text/html; charset=utf-8", "utf-8"),
        ('text/html; charset="ISO-8859-1"', "iso8859-1"),
        ("text/html; charset=windows-1252", "cp1252"),
        ("text/html; charset=no-such-charset", None),
        ("text/html; charset=zlib", None),  # a codec, but not a text encoding
        ("text/html", None),
    ],
)
def test_declared_encoding_is_reported_only_when_usable(public_server, content_type, encoding, make_fetcher):
    body = "Café crème".encode(encoding or "utf-8")
    public_server.serve("/page", 200, body, {"Content-Type": content_type})
    result = make_fetcher().fetch(public_server.url("/page"))
    assert result.encoding == encoding
    assert result.content_type == "text/html"
    assert result.content.decode(result.encoding or "utf-8", "replace") == "Café crème"


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
    ],
)
def test_compressed_bodies_are_decoded(public_server, coding, compress, make_fetcher):
    page = b"<html>" + b"news " * 1000 + b"</html>"
    public_server.serve("/page", 200, compress(page), {"Content-Encoding": coding})
    assert make_fetcher().fetch(public_server.url("/page")).content == page


def test_unsupported_content_encoding_is_refused(public_server, make_fetcher):
    public_server.serve("/page", 200, b"\x00\x01", {"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="unsupported content encoding"):
        make_fetcher().fetch(public_server.url("/page"))


# Size and time --------------------------------------------------------------------------------------------


def _stream_50_mb(declare_length: bool):
    def handler(request):
        request.send_response(200)
        if declare_length:
            request.send_header("Content-Length", str(50 * MB))
        else:
            request.send_header("Connection", "close")
        request.end_headers()
        chunk = b"a" * MB
        for _ in range(50):
            request.wfile.write(chunk)

    return handler


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "undeclared"])
def test_a_50_mb_page_stops_at_the_size_cap(public_server, declare_length, make_fetcher):
    public_server.handlers["/big"] = _stream_50_mb(declare_length)
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than 5242880 bytes"):
        make_fetcher(fetch_max_bytes=5 * MB).fetch(public_server.url("/big"))
    assert time.monotonic() - started < 5


def _gzip_bomb(decompressed_mb: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MB)
    return b"".join(compressor.compress(zeros) for _ in range(decompressed_mb)) + compressor.flush()


def test_gzip_bomb_stops_at_the_cap_without_expanding_in_memory(public_server, make_fetcher):
    bomb = _gzip_bomb(200)
    assert len(bomb) < MB
    public_server.serve("/bomb", 200, bomb, {"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="larger than"):
            make_fetcher(fetch_max_bytes=2 * MB).fetch(public_server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB


def _open_body(request):
    request.send_response(200)
    request.send_header("Content-Length", "1000")
    request.end_headers()


def _open_headers(request):
    request.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")


@pytest.mark.parametrize("opening", [_open_body, _open_headers], ids=["body", "headers"])
def test_a_trickle_stops_at_the_total_deadline(public_server, make_fetcher, opening):
    """A server sending a byte every 50 ms, in the body or still in the headers, never resets a read timeout
    long enough to hold the fetch past its total deadline."""

    def trickle(request):
        opening(request)
        for _ in range(1000):
            request.wfile.write(b"x")
            request.wfile.flush()
            time.sleep(0.05)

    public_server.handlers["/slow"] = trickle
    started = time.monotonic()
    with pytest.raises(FetchError, match="no complete answer within 1 s"):
        make_fetcher(fetch_timeout_s=1.0).fetch(public_server.url("/slow"))
    assert time.monotonic() - started < 2.5


# Redirects ------------------------------------------------------------------------------------------------


def test_redirects_are_followed_to_the_final_url(public_server, make_fetcher):
    public_server.redirect("/old", "/moved", 301)
    public_server.redirect("/moved", public_server.url("/feed"), 307)
    public_server.serve("/feed", 200, b"<rss/>")
    result = make_fetcher().fetch(public_server.url("/old"))
    assert result.url == public_server.url("/feed") and result.content == b"<rss/>"


def test_redirect_loop_is_detected(public_server, make_fetcher):
    public_server.redirect("/a", "/b")
    public_server.redirect("/b", "/a")
    with pytest.raises(FetchError, match="redirect loop"):
        make_fetcher(fetch_max_redirects=10).fetch(public_server.url("/a"))
    assert public_server.paths == ["/a", "/b"]


def test_redirect_cap(public_server, make_fetcher):
    for hop in range(5):
        public_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    public_server.serve("/r5", 200, b"done")
    with pytest.raises(FetchError, match="more than 2 redirects"):
        make_fetcher(fetch_max_redirects=2).fetch(public_server.url("/r0"))
    assert public_server.paths == ["/r0", "/r1", "/r2"]
    assert make_fetcher(fetch_max_redirects=5).fetch(public_server.url("/r0")).content == b"done"


@pytest.mark.parametrize("location", ["javascript:alert(1)", "ftp://example.com/feed", "file:///etc/passwd"])
def test_redirect_to_another_scheme_is_blocked(public_server, location, make_fetcher):
    public_server.redirect("/feed", location)
    with pytest.raises(BlockedURLError):
        make_fetcher().fetch(public_server.url("/feed"))


def test_malformed_redirect_location_is_a_fetch_error(public_server, make_fetcher):
    public_server.redirect("/feed", "http://[oops/")
    with pytest.raises(FetchError, match="malformed"):
        make_fetcher().fetch(public_server.url("/feed"))


# The SSRF guard -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("2002:a00:1::", False),  # 6to4 wrapping 10.0.0.1
    ],
)
def test_address_policy(address, public):
    assert is_public_address(ip_address(address)) is public


def test_loopback_is_refused_unless_private_hosts_are_allowed(loopback_server):
    loopback_server.routes["/feed"] = (200, {}, b"<rss/>")
    with pytest.raises(BlockedURLError, match="non-public address"):
        Fetcher(Settings(allow_private_hosts=False, respect_robots=False)).fetch(loopback_server.url("/feed"))
    assert loopback_server.requests == []
    allowed = Fetcher(Settings(allow_private_hosts=True, respect_robots=False, per_host_delay_s=0))
    assert allowed.fetch(loopback_server.url("/feed")).content == b"<rss/>"


@pytest.mark.parametrize(
    "answers",
    [["10.0.0.5"], ["169.254.169.254"], ["::1"], ["::ffff:10.0.0.1"], ["93.184.215.14", "192.168.0.10"]],
)
def test_a_host_name_resolving_to_any_private_address_is_refused(answers, make_fetcher):
    def resolver(host, port):
        return [ip_address(answer) for answer in answers]

    with pytest.raises(BlockedURLError, match="non-public address"):
        make_fetcher(resolver=resolver).fetch("http://internal.example/feed")


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://2130706433/", "http://0x7f.1/"]
)
def test_redirect_from_a_public_host_to_a_private_address_is_refused(public_server, target, make_fetcher):
    public_server.redirect("/feed", target)
    with pytest.raises(BlockedURLError, match="non-public address"):
        make_fetcher().fetch(public_server.url("/feed"))


def test_redirect_to_a_private_server_never_reaches_it(public_server, loopback_server, make_fetcher):
    loopback_server.routes["/admin"] = (200, {}, b"secret")
    public_server.redirect("/feed", loopback_server.url("/admin"))
    with pytest.raises(BlockedURLError):
        make_fetcher().fetch(public_server.url("/feed"))
    assert loopback_server.requests == []


def test_connects_to_the_vetted_address_so_dns_rebinding_gains_nothing(public_server, loopback_server, make_fetcher):
    """The name resolves to the public address when checked and to loopback afterwards: the request must
    still go to the address that was checked, with the name in the Host header."""
    answers = iter([PUBLIC_TEST_ADDRESS])
    calls = []

    def rebinding_resolver(host, port):
        calls.append(host)
        return [ip_address(next(answers, "127.0.0.1"))]

    seen_hosts = []

    def page(request):
        seen_hosts.append(request.headers["Host"])
        public_server.reply(request, 200, b"public")

    public_server.handlers["/feed"] = page
    url = public_server.url("/feed", host="news.example")
    assert make_fetcher(resolver=rebinding_resolver).fetch(url).content == b"public"
    assert calls == ["news.example"]
    assert seen_hosts == [f"news.example:{public_server.port}"]
    assert loopback_server.requests == []


def test_https_connects_to_the_vetted_address_and_checks_the_certificate_against_the_name(
    tls_server, tls_client, make_fetcher
):
    tls_server.serve("/feed", 200, b"secure")
    fetcher = make_fetcher(resolver=lambda host, port: [ip_address(PUBLIC_TEST_ADDRESS)], tls=tls_client)
    assert fetcher.fetch(f"https://news.example:{tls_server.port}/feed").content == b"secure"
    with pytest.raises(FetchError, match="certificate verify failed"):
        fetcher.fetch(f"https://other.example:{tls_server.port}/feed")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "ftp://example.com/", "http://"])
def test_non_http_urls_are_blocked(url, make_fetcher):
    with pytest.raises(BlockedURLError):
        make_fetcher().fetch(url)


# robots.txt and politeness ----------------------------------------------------------------------------


def test_robots_txt_is_obeyed_and_cached(public_server, make_fetcher):
    public_server.serve("/robots.txt", 200, b"User-agent: *\nDisallow: /private\n")
    public_server.serve("/public", 200, b"ok")
    public_server.serve("/private/page", 200, b"secret")
    fetcher = make_fetcher(respect_robots=True)
    assert fetcher.fetch(public_server.url("/public")).content == b"ok"
    with pytest.raises(RobotsDisallowedError, match="robots.txt"):
        fetcher.fetch(public_server.url("/private/page"))
    assert public_server.paths == ["/robots.txt", "/public"]


def test_robots_txt_group_for_our_user_agent(public_server, make_fetcher):
    public_server.serve("/robots.txt", 200, b"User-agent: StorylineBot\nDisallow: /\n\nUser-agent: *\n")
    public_server.serve("/page", 200, b"ok")
    with pytest.raises(RobotsDisallowedError):
        make_fetcher(respect_robots=True).fetch(public_server.url("/page"))
    assert make_fetcher(respect_robots=False).fetch(public_server.url("/page")).content == b"ok"


def test_missing_robots_txt_allows_everything_and_failing_one_fails_the_fetch(public_server, make_fetcher):
    public_server.serve("/page", 200, b"ok")
    assert make_fetcher(respect_robots=True).fetch(public_server.url("/page")).content == b"ok"
    public_server.serve("/robots.txt", 503)
    with pytest.raises(FetchError, match="robots.txt answered HTTP 503") as caught:
        make_fetcher(respect_robots=True).fetch(public_server.url("/page"))
    assert not isinstance(caught.value, RobotsDisallowedError)


def test_redirect_target_is_checked_against_its_own_robots_txt(public_server, make_fetcher):
    public_server.serve("/robots.txt", 200, b"User-agent: *\nDisallow: /private\n")
    public_server.redirect("/feed", "/private/feed")
    with pytest.raises(RobotsDisallowedError):
        make_fetcher(respect_robots=True).fetch(public_server.url("/feed"))
    assert "/private/feed" not in public_server.paths


def test_requests_to_one_host_are_spaced(public_server, make_fetcher):
    public_server.serve("/page", 200, b"ok")
    fetcher = make_fetcher(per_host_delay_s=0.3)
    started = time.monotonic()
    for _ in range(3):
        fetcher.fetch(public_server.url("/page"))
    assert time.monotonic() - started >= 0.6


def test_throttle_is_shared_safely_between_threads():
    throttle = HostThrottle()
    started = time.monotonic()
    threads = [threading.Thread(target=throttle.wait, args=("news.example", 0.2)) for _ in range(4)]
    other = threading.Thread(target=throttle.wait, args=("other.example", 0.2))
    for thread in [*threads, other]:
        thread.start()
    other.join()
    assert time.monotonic() - started < 0.15  # another host never waits for this one
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 0.6  # the fourth request waits for three slots
