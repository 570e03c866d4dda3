"""What one reader follows, mutes and has read, and the For you ranking: pure functions over plain values.

Every SQL statement stays in ``storyline.store.readers``; the pages are ``storyline.web.reader_pages``.
"""
