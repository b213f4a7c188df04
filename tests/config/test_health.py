"""/healthz says the process is alive; /readyz says whether PostgreSQL and Redis answer."""
import json

import pytest
from django.test import Client, override_settings

from tests.config.conftest import clean_env, run_manage

CLOSED_PORT_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
}


@pytest.mark.postgres
def test_healthz_is_200_without_touching_services(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.postgres
@pytest.mark.redis
def test_readyz_is_200_when_database_and_redis_answer(db):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": ["database", "redis"]}


@pytest.mark.postgres
def test_readyz_is_503_naming_redis_when_redis_is_unreachable(db):
    with override_settings(CACHES={"default": CLOSED_PORT_REDIS, "ratelimit": CLOSED_PORT_REDIS}):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["redis"]}
    assert "127.0.0.1:1" not in response.content.decode()  # names the check, not the address


@pytest.mark.postgres
def test_probes_refuse_post(db):
    assert Client().post("/healthz").status_code == 405
    assert Client().post("/readyz").status_code == 405


@pytest.mark.redis
def test_readyz_is_503_naming_the_database_when_postgres_is_unreachable():
    """A fresh process whose DATABASE_URL points at a closed port; Redis is the real one."""
    from django.conf import settings

    env = clean_env(
        DJANGO_ENV="test",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/cradle",
        REDIS_URL=settings.CACHES["default"]["LOCATION"],
    )
    probe = (
        "import json; from django.test import Client; r = Client().get('/readyz'); "
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = run_manage("shell", "-c", probe, env=env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"status": 503, "body": {"status": "unavailable", "failed": ["database"]}}
    # The reason is logged for the operator, through the PII filter.
    assert "readyz: database check failed: OperationalError" in result.stderr
