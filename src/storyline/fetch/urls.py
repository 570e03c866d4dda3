"""URL validation and canonical form.

Every URL that enters Storyline (a feed link, a JSON line, a form field, a redirect) passes
``require_http_url``; every URL used as a key (article identity, feed identity) is ``canonical_url``, so
the same article imported twice, with or without tracking parameters, is stored once.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

import idna

from storyline.errors import InputError

MAX_URL_LENGTH = 2000  # the stored URL column; also what browsers and sitemaps accept
HTTP_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters left as they are when percent-encoding; "%" keeps existing escapes, so encoding twice is a no-op.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_HOST = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$")

# Parameters that only say how a reader arrived, never which page it is.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
        "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ocid", "cmpid", "cmp", "smid", "s_cid", "ito", "ref_src",
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "xtor", "__twitter_impression",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)


def require_http_url(url: str) -> str:
    """Returns the URL stripped of surrounding space, or raises ``InputError`` for anything that is not a plain
    absolute http(s) URL with a valid host."""
    if not isinstance(url, str):
        raise InputError("a URL must be a string", subject=repr(url)[:100])
    url = url.strip()
    subject = url[:200]
    if not url:
        raise InputError("empty URL")
    if len(url) > MAX_URL_LENGTH:
        raise InputError(f"URL longer than {MAX_URL_LENGTH} characters", subject=subject)
    if _CONTROL_CHARACTERS.search(url):
        raise InputError("URL contains control characters", subject=subject)
    parts = _split(url)
    if parts.scheme.lower() not in HTTP_SCHEMES:
        raise InputError("only http and https URLs are accepted", subject=subject)
    if parts.username is not None or parts.password is not None:
        raise InputError("URLs with credentials are not accepted", subject=subject)
    _ascii_host(parts, subject)
    return url


def canonical_url(url: str) -> str:
    """The one spelling of a URL used as its identity: lower-case scheme and host (IDNA-encoded), no default
    port, no fragment, no tracking parameters. Applying it twice changes nothing."""
    url = require_http_url(url)
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = _ascii_host(parts, url[:200])
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None and parts.port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{parts.port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(_without_tracking(parts.query), safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_tracking_parameter(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _without_tracking(query: str) -> str:
    # Works on the raw query so every other parameter keeps its exact spelling and order.
    kept = [pair for pair in query.split("&") if pair and not is_tracking_parameter(unquote(pair.split("=", 1)[0]))]
    return "&".join(kept)


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what validates it
    except ValueError as exc:
        raise InputError(f"malformed URL: {exc}", subject=url[:200]) from exc
    return parts


def _ascii_host(parts: SplitResult, subject: str) -> str:
    """The host in the ASCII form DNS uses (IDNA for international names, compressed for IPv6)."""
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InputError("URL has no host", subject=subject)
    if ":" in host or parts.netloc.startswith("["):
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError as exc:
            raise InputError("invalid IPv6 host", subject=subject) from exc
    try:
        # IDNA 2008 with UTS 46 mapping, as browsers and httpx spell international names.
        ascii_host = host.lower() if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    except UnicodeError as exc:  # idna.IDNAError is a UnicodeError
        raise InputError("invalid host name", subject=subject) from exc
    if len(ascii_host) > 253 or not _ASCII_HOST.match(ascii_host):
        raise InputError("invalid host name", subject=subject)
    return ascii_host
