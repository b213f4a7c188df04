"""Write the open-pixel hits queued in Redis to the database (what Celery beat does every few seconds)."""
import time

from django.core.management.base import BaseCommand, CommandError

from tracking import open_buffer


class Command(BaseCommand):
    help = "Write queued open-pixel hits to the database; --every N keeps doing it every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds until stopped")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, every, batch_size, **options):
        if batch_size < 1 or every < 0:
            raise CommandError("--batch-size must be at least 1 and --every not negative.")
        total = 0
        while True:
            total += open_buffer.flush(batch_size=batch_size)
            if not every:
                break
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                break
        self.stdout.write(f"written: {total} open hit(s); still queued: {open_buffer.pending()}")
