# The open pixel's Redis stream starts empty in every test here too (one fixture, tests/tracking).
from tests.tracking.conftest import _empty_open_stream  # noqa: F401
