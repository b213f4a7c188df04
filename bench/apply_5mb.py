"""Time to submit an application with one 5 MB PDF, virus scan included (not a test).

Runs against the test profile's PostgreSQL and clamd (scripts/clamd-start) in a throwaway test
database: builds a published form and a link, then POSTs the form through Django's test client
and times the request (Celery is eager in this profile, so the clamd scan runs right after the
commit, inside the request), then checks the upload came out clean.

    DJANGO_ENV=test .venv/bin/python bench/apply_5mb.py [runs]
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.db import connection  # noqa: E402


def main(runs: int) -> None:
    setup_test_environment()
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="cradle-bench-")
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from forms_public.uploads.clamd import ping
        from forms_public.uploads.models import Upload
        from tenants.scope import org_scope
        from tests.conftest import World
        from tests.forms_public.conftest import Apply, pdf_bytes, valid_answers

        assert ping(settings.CLAMAV_ADDRESS), f"clamd does not answer at {settings.CLAMAV_ADDRESS}"
        world = World()
        payload = pdf_bytes(size=5 * 1024 * 1024)
        timings = []
        for index in range(runs):
            apply = Apply(world, world.org_a) if index == 0 else apply
            _, token = apply.new_link()
            client = Client(REMOTE_ADDR=f"198.51.100.{index + 1}")
            upload = SimpleUploadedFile("records.pdf", payload, "application/pdf")
            started = time.perf_counter()
            response = client.post(f"/apply/{token}/", {**valid_answers(), "records": upload})
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            with org_scope(apply.org):
                state = Upload.objects.order_by("-id").values_list("scan_state", flat=True).first()
            assert state == "clean", state
            timings.append(elapsed)
        print(f"5 MB PDF, {runs} runs: median {statistics.median(timings) * 1000:.0f} ms, "
              f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms (submit + store + clamd scan)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
