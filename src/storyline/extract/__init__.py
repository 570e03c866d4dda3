"""Extraction: turns a fetched HTML page into an article body and its metadata (``extract_article``)."""

from storyline.extract.article import Extracted, extract_article, title_from_text

__all__ = ["Extracted", "extract_article", "title_from_text"]
