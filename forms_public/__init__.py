"""Placeholder app: its domain lands with issue #4 (see `issues show 4`)."""
