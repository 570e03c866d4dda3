"""The exception hierarchy. Every error names its stage and the object it concerns.

StorylineError
├── InputError      bad user or file input (a JSON line, a URL, a form field)
├── FetchError      network, robots, SSRF guard, size cap, redirect cap
├── ParseError      a feed, OPML or sitemap that cannot be read
├── ExtractError    no usable article in a page
├── StoreError      the database refused an operation
└── ConfigError     settings that cannot work
"""

from __future__ import annotations


class StorylineError(Exception):
    stage = "storyline"

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        self.subject = subject
        text = f"{self.stage}: {message}"
        if subject:
            text = f"{text} ({subject})"
        super().__init__(text)


class InputError(StorylineError):
    stage = "input"


class FetchError(StorylineError):
    stage = "fetch"


class BlockedURLError(FetchError):
    """The URL points at a private, loopback or link-local address, or uses a scheme we refuse."""


class RobotsDisallowedError(FetchError):
    pass


class ParseError(StorylineError):
    stage = "parse"


class ExtractError(StorylineError):
    stage = "extract"


class StoreError(StorylineError):
    stage = "store"


class ConfigError(StorylineError):
    stage = "config"
