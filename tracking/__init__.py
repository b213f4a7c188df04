"""Placeholder app: its domain lands with issue #6 (see `issues show 6`)."""
