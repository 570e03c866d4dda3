"""The web stage: server-rendered site, feeds out and JSON API (``create_app``)."""
