"""Write a sample leadgen webhook body and print its X-Hub-Signature-256 (dev and ops testing).

    manage.py meta_sign_webhook --page-id 100000000000001 --out var/meta_webhook.json
    manage.py meta_sign_webhook --body var/meta_webhook.json      # sign an existing file

Signs the exact bytes of the file with META_APP_SECRET.
"""
import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.meta.leads import meta_id
from integrations.meta.signature import sign


def sample_payload(*, page_id: str, leadgen_id: str) -> dict:
    """Meta's documented leadgen webhook shape."""
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "ad_id": "200000001",
                            "adgroup_id": "300000001",
                            "form_id": "500000001",
                            "leadgen_id": leadgen_id,
                            "created_time": int(time.time()),
                            "page_id": page_id,
                        },
                    }
                ],
            }
        ],
    }


class Command(BaseCommand):
    help = "Write a sample Meta leadgen webhook body and print the signature header value."

    def add_arguments(self, parser):
        parser.add_argument("--page-id", help="write a sample body for this page")
        parser.add_argument("--leadgen-id", default=None, help="default: a fresh one from the clock")
        parser.add_argument("--out", default="var/meta_webhook.json", help="where the sample body goes")
        parser.add_argument("--body", default=None, help="sign this existing file instead")

    def handle(self, *args, page_id, leadgen_id, out, body, **options):
        if not settings.META_APP_SECRET:
            raise CommandError("META_APP_SECRET is not set.")
        if body:
            path = Path(body)
            if not path.is_file():
                raise CommandError(f"No file {body}.")
        else:
            if not meta_id(page_id):
                raise CommandError("Give --page-id (numeric) or --body FILE.")
            leadgen_id = leadgen_id or str(time.time_ns() // 1000)
            if not meta_id(leadgen_id):
                raise CommandError("--leadgen-id must be numeric.")
            path = Path(out)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(json.dumps(sample_payload(page_id=page_id, leadgen_id=leadgen_id)).encode())
            self.stderr.write(f"Wrote {path} (leadgen_id {leadgen_id})")
        self.stdout.write(sign(path.read_bytes()))
