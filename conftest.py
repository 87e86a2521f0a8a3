"""Shared fixtures; each app's tests/ adds its own."""
