"""model-copy's domain: what a copy request is; how a version is shared, imported, reported,
and how the outcome answers the waiting copy.

Handlers in functions/<name>/app.py stay thin: parse, call into this package, return.
"""
