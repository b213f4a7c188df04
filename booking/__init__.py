"""Placeholder app: its domain lands with issue #5 (see `issues show 5`)."""
