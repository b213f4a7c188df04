"""Rendered pages and fragments, kept per process and keyed by everything they show.

A key names every input of the page (object ids, the names and settings printed, a data version
for what has one), so a hit is the same bytes a fresh render would give: a process never has to
be told that something changed, the next request simply asks for a different key. Per-request
values (CSRF token, idempotency keys) are never in the bytes: the page is rendered with
placeholders, and `fill` puts this request's values in.

Only for markup without secrets of their own beyond what the URL already carries. Used by the
public booking page and application form, and by surrogates.form_markup (unbound forms' fields).
"""
import secrets
import threading
from collections import OrderedDict


class RenderedPages:
    """A small thread-safe LRU of rendered bodies (gunicorn gthread workers share one per process)."""

    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key, body) -> None:
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def placeholder(name: str) -> str:
    """A marker for a per-request value, random per process so no page content can imitate it."""
    return f"{name}{secrets.token_hex(16)}"


def fill(body: str, values: dict[str, str]) -> str:
    for marker, value in values.items():
        body = body.replace(marker, value)
    return body
