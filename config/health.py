"""Liveness and readiness probes. Public, unauthenticated, and they say nothing sensitive."""
import logging

from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache = caches["default"]
    cache.set("readyz", "1", timeout=5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache round-trip failed")


READINESS_CHECKS = {"database": _check_database, "redis": _check_cache}

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def readyz(request):
    failed = []
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as exc:
            # The response names only the check; the log says why (through the PII filter).
            logger.warning("readyz: %s check failed: %s: %s", name, type(exc).__name__, exc)
            failed.append(name)
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok", "checks": list(READINESS_CHECKS)})
