"""The embedded local cloud: moto in server mode plus our own extensions.

Nothing in this package is deployed; it exists so that the pipeline defined in
template.yaml can run end to end on 127.0.0.1 without an AWS account or Docker.
"""
