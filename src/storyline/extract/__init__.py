"""Extraction: turns a fetched HTML page into an article body and its metadata (``extract_article``)."""

from storyline.extract.article import Extracted, extract_article

__all__ = ["Extracted", "extract_article"]
