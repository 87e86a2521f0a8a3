"""Sweeps that ride on the outbox's periodic sweep: an app above registers a named chore (the
response plans whose steps never ran, say), and each sweep runs them after the deliveries'.
Each chore is harmless to run twice and returns how many rows it re-queued."""

from collections.abc import Callable

Chore = Callable[[], int]

_chores: dict[str, Chore] = {}


def register(name: str, chore: Chore) -> None:
    _chores[name] = chore


def run_chores() -> dict[str, int]:
    return {name: chore() for name, chore in _chores.items()}
