"""META_TEST_MODE (webhook signatures off) exists only in dev: a complete staging/production
configuration with it on refuses to start, and without a secret set the production settings
carry no dev app secret (every webhook is then refused with 403)."""
import pytest

from tests.config.conftest import complete_production_env, run_manage, run_python


@pytest.mark.parametrize("profile", ["production", "staging"])
def test_meta_test_mode_alone_refuses_a_complete_deployment(profile):
    result = run_manage("check", env=complete_production_env(DJANGO_ENV=profile, META_TEST_MODE="true"))
    output = result.stdout + result.stderr
    assert result.returncode == 78, output
    assert "META_TEST_MODE" in output and "1 problem(s)" in output
    assert "Traceback" not in output


def test_production_has_no_dev_meta_secrets():
    code = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
        "from django.conf import settings as s; print(repr((s.META_APP_SECRET, s.META_VERIFY_TOKEN)))"
    )
    result = run_python(code, env=complete_production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('', '')"
