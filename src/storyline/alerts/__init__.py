"""Alerts and digests when a story develops, not one per article.

``developments`` compares a story before and after a batch (pure); ``detect`` stores what changed and whom it
concerns (the story writer's one call); ``throttle`` decides, per reader, what is sent now and what waits for
the digest (pure); ``channels`` send email, Apprise pushes and signed webhooks; ``delivery.deliver_due`` sends
what is due, once. All SQL is in ``store/alerts.py``.
"""
