"""Re-encrypt every encrypted column with the newest key: `manage.py rotate_encryption_keys`.

1. Generate a key; set FIELD_ENCRYPTION_KEYS=new,old on EVERY process (web, workers) and restart:
   new writes use the new key, old values still decrypt.
2. Run this command (batches, progress bar on stderr; safe to stop and run again: values already
   under the new key are skipped). `--check` only counts what is left.
3. When it reports nothing left, remove the old key(s) from FIELD_ENCRYPTION_KEYS.
"""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tenants import key_rotation
from tenants.scope import unscoped


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column under the newest FIELD_ENCRYPTION_KEYS key (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=key_rotation.DEFAULT_BATCH_SIZE, help="rows per batch (one transaction each)")
        parser.add_argument("--max-batches", type=int, default=None, help="stop after this many batches (run again to continue)")
        parser.add_argument("--check", action="store_true", help="count values not yet under the newest key; change nothing")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, batch_size, max_batches, check, no_progress, **options):
        if batch_size < 1 or (max_batches is not None and max_batches < 1):
            raise CommandError("--batch-size and --max-batches must be at least 1.")
        try:
            newest, all_keys = key_rotation.checked_keys()
        except key_rotation.RotationRefused as exc:
            raise CommandError(str(exc)) from None
        with unscoped():  # ops code: every organization's rows
            columns = key_rotation.encrypted_columns()
            bar = tqdm(
                total=key_rotation.total_rows(columns), unit="row", file=self.stderr._out, disable=no_progress,
                desc="check" if check else "rotate",
            )
            totals, left_batches, stopped = key_rotation.Counts(), max_batches, False
            with bar:
                for column_set in columns:
                    if left_batches is not None and left_batches <= 0:
                        stopped = True
                        break
                    counts, used, finished = key_rotation.rotate_column_set(
                        column_set, newest=newest, all_keys=all_keys, batch_size=batch_size,
                        max_batches=left_batches, write=not check, progress=bar.update,
                    )
                    if left_batches is not None:
                        left_batches -= used
                    self._report(column_set, counts, check)
                    for name in ("rows", "rotated", "current", "changed_meanwhile", "unreadable"):
                        setattr(totals, name, getattr(totals, name) + getattr(counts, name))
                    if not finished:
                        stopped = True
                        break
        verb = "to re-encrypt" if check else "re-encrypted"
        self.stdout.write(
            f"Total: {totals.rows} rows in {len(columns)} models; {totals.rotated} values {verb}, "
            f"{totals.current} already under the newest key, {totals.changed_meanwhile} changed meanwhile, "
            f"{totals.unreadable} unreadable."
        )
        if totals.unreadable:
            raise CommandError(f"{totals.unreadable} values decrypt with none of the configured keys (see the rows above).")
        if stopped:
            self.stdout.write(self.style.WARNING("Stopped at --max-batches: run the command again to continue."))
        elif check and totals.rotated:
            raise CommandError(f"{totals.rotated} values are not yet under the newest key.")
        elif not check and totals.changed_meanwhile:
            self.stdout.write(self.style.WARNING("Some values changed while rotating: run with --check to confirm before removing old keys."))
        elif not check:
            self.stdout.write(self.style.SUCCESS("Every encrypted value is under the newest key; the old keys can be removed."))
        else:
            self.stdout.write(self.style.SUCCESS("Nothing left to re-encrypt."))

    def _report(self, column_set, counts, check):
        names = ", ".join(f.name for f in column_set.fields)
        line = (
            f"{column_set.label} ({names}): {counts.rows} rows, {counts.rotated} {'to re-encrypt' if check else 're-encrypted'}, "
            f"{counts.current} current"
        )
        if counts.changed_meanwhile:
            line += f", {counts.changed_meanwhile} changed meanwhile"
        if counts.unreadable:
            shown = ", ".join(str(pk) for pk in counts.unreadable_rows[:20])
            line += f", {counts.unreadable} UNREADABLE (row ids: {shown}{'...' if len(counts.unreadable_rows) > 20 else ''})"
        self.stdout.write(line)
