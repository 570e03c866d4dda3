"""URL validation and the canonical form used as article and feed identity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.errors import InputError
from storyline.fetch.urls import canonical_url, require_http_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty URL"),
        ("   ", "empty URL"),
        ("javascript:alert(1)", "only http and https URLs are accepted"),
        ("JaVaScRiPt:alert(1)", "only http and https URLs are accepted"),
        ("data:text/html,<script>alert(1)</script>", "only http and https URLs are accepted"),
        ("ftp://files.example.com/", "only http and https URLs are accepted"),
        ("file:///etc/passwd", "only http and https URLs are accepted"),
        ("//example.com/no-scheme", "only http and https URLs are accepted"),
        ("news.example.com/a", "only http and https URLs are accepted"),
        ("http://", "URL has no host"),
        ("http:///path", "URL has no host"),
        ("https://user:secret@example.com/", "credentials"),
        ("https://example.com@evil.example/", "credentials"),
        ("https://example.com:99999/", "malformed URL"),
        ("https://[not-ipv6]/", "malformed URL"),
        ("https://exa mple.com/", "invalid host name"),
        ("https://a..b/", "invalid host name"),
        ("https://☃.example/", "invalid host name"),  # not a valid IDNA 2008 name
        ("https://<script>/", "invalid host name"),
        ("https://example.com/a\nb", "control characters"),
        ("https://example.com/" + "a" * 2000, "longer than 2000"),
    ],
)
def test_refused_urls_say_why(url, message):
    with pytest.raises(InputError, match=message) as caught:
        require_http_url(url)
    assert caught.value.subject == (url.strip()[:200] or None)


@pytest.mark.parametrize(
    "url",
    ["https://example.com", "http://example.com:8080/a?b=c#d", "https://bücher.example/", "http://[2001:db8::1]/x"],
)
def test_accepted_urls_are_returned_stripped(url):
    assert require_http_url(f"  {url}\t") == url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example.COM", "https://news.example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed&id=7&fbclid=x&gclid=y", "https://example.com/a?id=7"),
        ("https://www.bbc.co.uk/news/uk-1?at_medium=RSS&at_campaign=KARANGA", "https://www.bbc.co.uk/news/uk-1"),
        ("https://example.com/a?UTM_Source=x&b=2&a=1", "https://example.com/a?b=2&a=1"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/Case/Path", "https://example.com/Case/Path"),
        ("https://bücher.example/café", "https://xn--bcher-kva.example/caf%C3%A9"),
        ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
        ("https://straße.example/", "https://xn--strae-oqa.example/"),  # IDNA 2008, as browsers and httpx
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com./a", "https://example.com/a"),
        ("http://[2001:DB8:0:0::1]:80/", "http://[2001:db8::1]/"),
    ],
)
def test_canonical_form(url, canonical):
    assert canonical_url(url) == canonical


_url_parts = st.tuples(
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["example.com", "News.Example.com", "bücher.example", "[::1]", "127.0.0.1", "a-b.example."]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
    st.lists(st.sampled_from(["utm_source=x", "id=7", "a=%20b", "fbclid=1", "q=é", "x", "="]), max_size=4),
    st.text(max_size=5),
)


@settings(max_examples=200, deadline=None)
@given(parts=_url_parts)
def test_canonical_url_is_idempotent(parts):
    scheme, host, port, path, query, fragment = parts
    url = f"{scheme}://{host}{port}/{path}?{'&'.join(query)}#{fragment}"
    try:
        once = canonical_url(url)
    except InputError:
        return
    assert canonical_url(once) == once
    assert require_http_url(once) == once
