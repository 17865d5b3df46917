"""Placeholder until this extension lands (being written in parallel)."""


def install() -> None:
    return None
