"""Enrichment: what the AI panel adds to an article and a story (hashtags, quotes, figures, summaries, ...)."""
