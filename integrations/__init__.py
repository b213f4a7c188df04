"""Placeholder app: its domain lands with issue #8 (see `issues show 8`)."""
