"""Storyline: a self-hosted news aggregator with grounded AI.

An article's path: fetch -> extract -> enrich -> stories -> store -> web (see ``pipeline``).
"""

__version__ = "0.1.0"
