"""Root conftest: pick the test profile before Django loads settings."""
import os

os.environ.setdefault("DJANGO_ENV", "test")
