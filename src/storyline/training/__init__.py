"""Fitting the bundled models (``storyline train``): apart from the modules that load and apply them."""
