"""Deploying templates locally: the stack engine, intrinsics and the offline SAM translation."""
