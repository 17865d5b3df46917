"""model-copy's domain: what a copy request is; how a version is shared, imported, reported.

Handlers in functions/<name>/app.py stay thin: parse, call into this package, return.
"""
