"""A short-lived copy of each read page as anonymous visitors see it ("microcaching").

Readers crowd onto a few pages at once: the home page, and the article everyone is sharing. Those pages are the
same for every anonymous visitor, so a server process renders each at most once every ``web_page_cache_s``
seconds and answers with the copy in between; visitors who ask for a page while it renders wait for that one
render instead of starting their own. Logged-in visitors always get a fresh page (it carries their name and
forms with their token), and so does any page whose body holds a per-visitor token.

The price is staleness, bounded by that setting: an anonymous reader may see a new comment, a new piece of
coverage or the removal of a comment that many seconds late. Moderation and commenting clear the copies of the
process that handled them at once; other server processes catch up when their copies expire.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import HTMLResponse, Response


def mark_personal(request: Request) -> None:
    """The page being rendered for ``request`` holds something of this visitor's own: never share it."""
    request.state.personal_page = True


class PageCache:
    """Bounded, least recently used out first. Pages are looked up and kept on the event loop only, so no lock
    is needed; ``clear`` may be called from any thread: it swaps in an empty table, and a render that began
    before it is not kept."""

    def __init__(self, entries: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries = entries
        self._seconds = seconds
        self._clock = clock
        self._pages: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._rendering: dict[str, asyncio.Future[bytes | None]] = {}
        self._generation = 0

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        self._pages = OrderedDict()
        self._generation += 1

    async def page(self, request: Request, render: Callable[[], Awaitable[Response]]) -> Response:
        """The page for ``request``: a fresh enough copy, the result of a render already under way, or
        ``render()``'s answer, kept when it is an ordinary page fit for every anonymous visitor."""
        if not (self._entries and self._seconds) or request.state.user is not None:
            return await render()
        key = str(request.url)  # with the host: the page's canonical links are built from it
        body = self._fresh(key)
        if body is None and key in self._rendering:
            body = await asyncio.shield(self._rendering[key])
        if body is not None:
            return HTMLResponse(body)
        return await self._render_once(key, request, render)

    async def _render_once(self, key: str, request: Request, render: Callable[[], Awaitable[Response]]) -> Response:
        shared = asyncio.get_running_loop().create_future()
        self._rendering[key] = shared
        body = None
        generation = self._generation
        try:
            response = await render()
            shareable = isinstance(response, HTMLResponse) and response.status_code == 200 and not _personal(request)
            if shareable and generation == self._generation:
                body = bytes(response.body)
                self._keep(key, body)
            return response
        finally:
            # Waiters for an answer that is not shared (an error, a redirect) render their own.
            del self._rendering[key]
            shared.set_result(body)

    # Both work on the table they started with: ``clear`` may swap it from another thread meanwhile.

    def _fresh(self, key: str) -> bytes | None:
        pages = self._pages
        entry = pages.get(key)
        if entry is None:
            return None
        expires, body = entry
        if expires <= self._clock():
            del pages[key]
            return None
        pages.move_to_end(key)
        return body

    def _keep(self, key: str, body: bytes) -> None:
        pages = self._pages
        pages[key] = (self._clock() + self._seconds, body)
        pages.move_to_end(key)
        while len(pages) > self._entries:
            pages.popitem(last=False)


def _personal(request: Request) -> bool:
    return getattr(request.state, "personal_page", False)
