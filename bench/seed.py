"""Seed (or reuse) the bench database at agency scale, fast: PostgreSQL COPY of precomputed rows.

10 organizations, 1,000,000 surrogates (one org with 300,000), stage history, notes, tasks,
email logs; in the big org 5 staff with booking links and 1,000 appointments each.

The small things (orgs, members, stages, booking setup, the form) go through our services, so
they are exactly what the app makes. The big tables are streamed with COPY. PII is written as
the app writes it (MultiFernet ciphertext + keyed lookup hash, tenants/pii.py), from pools
encrypted once: phones, birth dates, subjects and bodies repeat. Emails are the exception: a
partial unique constraint allows one active surrogate per (org, email hash), so each surrogate
gets its own address (encrypting one takes ~8 us, ~10 s for the million).

Non-constraint indexes of the bulk tables are dropped during the COPY and rebuilt after
(one sorted build is far faster than a million incremental inserts, the trigram GIN above all).
A row in `bench_seed` records the seed version, scale and key fingerprint: a matching row means
the database is reused as is.
"""
import datetime
import json
import random
import sys
import time
import uuid

import psycopg

from bench import env

SEED_VERSION = 2  # 2: owners drawn at random (not i % 5, which tied every task to one staff member)
ORGS = 10
TOTAL_SURROGATES = 1_000_000
BIG_ORG_SURROGATES = 300_000
STAFF_PER_ORG = 5
APPOINTMENTS_PER_STAFF = 1000
CHUNK = 25_000

FIRST = ("Ava Mia Emma Olivia Sophia Isabella Amelia Harper Evelyn Abigail Emily Ella Elizabeth Camila "
         "Luna Sofia Avery Mila Aria Scarlett Penelope Layla Chloe Victoria Madison Eleanor Grace Nora "
         "Riley Zoey Hannah Hazel Lily Ellie Violet Lillian Zoe Stella Aurora Natalie Emilia Everly Leah "
         "Aubrey Willow Addison Lucy Audrey Bella Nova Brooklyn Paisley Savannah Claire Skylar Isla "
         "Genesis Naomi Elena Caroline Eliana Anna Maya Valentina Ruby Kennedy Ivy Ariana Aaliyah Cora "
         "Madelyn Alice Kinsley Hailey Gabriella Allison Gianna Serenity Samantha Sarah Autumn Quinn "
         "Eva Piper Sophie Sadie Delilah Josephine Nevaeh Adeline Arya Emery Lydia Clara Vivian Madeline "
         "Marisol Peyton Julia Rylee Brielle Reagan Natalia Jade Athena Maria Leilani Everleigh Liliana").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
        "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
        "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
        "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
        "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
        "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
        "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders "
        "Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
        "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton").split()
STATES = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
SOURCES = ["manual", "website", "meta", "meta", "meta", "referral", "import", "other"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]


class Progress:
    """One line on stderr: rows written of the total, rate, elapsed."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.done, self.started = total, label, 0, time.monotonic()

    def add(self, n: int, note: str = "") -> None:
        self.done += n
        elapsed = time.monotonic() - self.started
        share = self.done / self.total if self.total else 1
        bar = "#" * int(share * 30)
        rate = self.done / elapsed if elapsed else 0
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {share:6.1%} {self.done:>9,} rows {rate:>8,.0f}/s "
                         f"{elapsed:5.0f}s {note:<24}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


# --- Database lifecycle ---------------------------------------------------------------------


def _server(dbname="postgres"):
    return psycopg.connect(f"{env.PG_SERVER}/{dbname}", autocommit=True)


def marker(scale: float) -> dict | None:
    """The manifest of a finished seed matching this version, scale and keys; else None."""
    try:
        with _server(env.DB_NAME) as conn:
            row = conn.execute(
                "SELECT manifest FROM bench_seed WHERE version = %s AND scale = %s AND key_fingerprint = %s",
                (SEED_VERSION, scale, env.key_fingerprint()),
            ).fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def recreate_database() -> None:
    with _server() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{env.DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{env.DB_NAME}"')


# --- COPY helper ----------------------------------------------------------------------------


def _constant_columns(model, supplied: list[str]):
    """The columns we do not supply, each filled with the field's default, prepared once."""
    from django.db import connection

    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in supplied or field.primary_key:
            continue
        if field.unique:
            raise ValueError(f"{model.__name__}.{field.name} is unique: supply it per row")
        value = field.get_db_prep_save(field.get_default(), connection)
        if hasattr(value, "obj"):  # psycopg Jsonb wrapper -> text for COPY
            value = json.dumps(value.obj)
        names.append(field.column)
        values.append(value)
    return names, tuple(values)


def copy_rows(cursor, model, columns: list[str], rows) -> int:
    """COPY rows (tuples in `columns` order, already in database form) into model's table."""
    const_names, const_values = _constant_columns(model, columns)
    columns_sql = ", ".join(f'"{model._meta.get_field(c).column if c != "id" else "id"}"' for c in columns)
    columns_sql += "".join(f', "{name}"' for name in const_names)
    count = 0
    with cursor.copy(f'COPY "{model._meta.db_table}" ({columns_sql}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row + const_values)
            count += 1
    return count


def drop_indexes(cursor, tables) -> list[str]:
    """Drop the plain (non-constraint) indexes of these tables; returns their CREATE statements."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint)",
        (list(tables),),
    )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


# --- Seeding ----------------------------------------------------------------------------------


def _pool(encrypt, values):
    return [encrypt(v) for v in values]


def _setup_orgs(scale: float):
    """Orgs, members, booking setup through the services (small, exact)."""
    from booking import services as booking_services
    from tenants.models import Role
    from tenants.scope import org_scope
    from tenants.services import member_add, organization_create

    orgs = []
    for index in range(ORGS):
        slug = f"bench-{index}"
        org = organization_create(name=f"Bench Agency {index}", slug=slug, timezone="America/New_York")
        with org_scope(org):
            admin = member_add(organization=org, email=f"admin@{slug}.test", role=Role.ADMIN, password=None,
                               full_name=f"Admin {index}")
            staff = [
                member_add(organization=org, email=f"staff{n}@{slug}.test", role=Role.CASE_MANAGER,
                           password=None, full_name=f"{FIRST[n]} Staff{index}")
                for n in range(STAFF_PER_ORG)
            ]
            booking = []
            if index == 0:
                for member in staff:
                    link = booking_services.booking_link_ensure(membership=member)
                    kind = booking_services.appointment_type_create(membership=member, name="Intro call",
                                                                    duration_minutes=30)
                    for weekday in range(7):
                        booking_services.availability_rule_add(membership=member, weekday=weekday,
                                                               start_time=datetime.time(8),
                                                               end_time=datetime.time(20))
                    booking.append((member, link, kind))
        orgs.append({"org": org, "admin": admin, "staff": staff, "booking": booking})
    return orgs


def _sizes(scale: float) -> list[int]:
    total, big = int(TOTAL_SURROGATES * scale), int(BIG_ORG_SURROGATES * scale)
    rest = total - big
    return [big] + [rest // (ORGS - 1) + (1 if i < rest % (ORGS - 1) else 0) for i in range(ORGS - 1)]


def seed(scale: float = 1.0) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from booking.models import Appointment
    from messaging.models import EmailLog
    from surrogates.models import Note, Queue, Stage, StatusChange, Surrogate, Task
    from tenants import pii
    from tenants.models import Organization
    from tenants.scope import unscoped

    started = time.monotonic()
    recreate_database()
    print(f"database {env.DB_NAME}: migrating ...", file=sys.stderr)
    call_command("migrate", verbosity=0)
    rng = random.Random(9)
    with unscoped():
        orgs = _setup_orgs(scale)
    sizes = _sizes(scale)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    five_years = datetime.timedelta(days=5 * 365)

    phones = [f"+1555{rng.randrange(10**7):07d}" for _ in range(500)]
    phone_pool = list(zip(_pool(pii.encrypt, phones), [pii.phone_hash(p) for p in phones]))
    dob_pool = _pool(pii.encrypt, [(datetime.date(1985, 1, 1) + datetime.timedelta(days=rng.randrange(5000))).isoformat()
                                   for _ in range(500)])
    subject_pool = _pool(pii.encrypt, ["Next steps", "Your application", "Checking in", "Appointment reminder"])
    body_pool = _pool(pii.encrypt, ["<p>Hello, thank you for applying. We will be in touch.</p>",
                                    "<p>Could you send the remaining documents this week?</p>"])
    visitor_name_pool = _pool(pii.encrypt, [f"{f} {l}" for f, l in zip(FIRST[:50], LAST[:50])])
    visitor_email_pool = [(pii.encrypt(f"visitor{i}@example.com"), pii.email_hash(f"visitor{i}@example.com"))
                          for i in range(50)]

    s_cols = ["id", "organization_id", "public_id", "number", "full_name", "email", "email_hash", "phone",
              "phone_hash", "date_of_birth", "stage_id", "stage_changed_at", "source", "priority", "state",
              "is_eligible", "owner_id", "owner_queue_id", "archived_at", "created_by_id", "created_at", "updated_at"]
    h_cols = ["organization_id", "surrogate_id", "from_stage_id", "to_stage_id", "kind", "effective_at",
              "recorded_at", "reason", "requested_by_id"]
    n_cols = ["organization_id", "public_id", "surrogate_id", "author_id", "body_html", "created_at"]
    t_cols = ["organization_id", "public_id", "surrogate_id", "title", "due_date", "completed_at", "created_by_id",
              "created_at"]
    e_cols = ["organization_id", "public_id", "idempotency_key", "state", "sender_id", "surrogate_id", "to_email",
              "to_hash", "subject", "body_html", "message_id", "transport", "created_at", "sent_at"]
    bulk_models = [Surrogate, StatusChange, Note, Task, EmailLog]

    raw = connection.cursor()
    raw.execute("SET synchronous_commit = off")
    raw.execute("SET maintenance_work_mem = '256MB'")
    # Foreign-key triggers off for this session's COPY (rows are consistent by construction; one
    # RI lookup per key per row was most of the load time). Needs a superuser, as the bench DB has.
    raw.execute("SET session_replication_role = replica")
    index_sql = drop_indexes(raw, [m._meta.db_table for m in bulk_models])
    # surrogates + history (1.7 each) + notes, tasks (0.2 each) + email logs (0.1)
    estimate = int(sum(sizes) * 3.2) + APPOINTMENTS_PER_STAFF * STAFF_PER_ORG
    progress = Progress(estimate, "seeding")
    next_id = 1
    manifest = {"orgs": [], "scale": scale}
    for org_index, (bundle, size) in enumerate(zip(orgs, sizes)):
        org = bundle["org"]
        with unscoped():
            stages = list(Stage.objects.filter(organization=org).order_by("order"))
            unassigned = Queue.objects.get(organization=org, system_key=Queue.UNASSIGNED)
        weights = [30, 18, 12, 8, 7, 5, 5, 4, 3] + [1] * (len(stages) - 9)
        staff_users = [m.user_id for m in bundle["staff"]]
        staff_members = [m.pk for m in bundle["staff"]]
        admin_user = bundle["admin"].user_id
        span = five_years / max(size, 1)
        for chunk_start in range(0, size, CHUNK):
            chunk = range(chunk_start, min(size, chunk_start + CHUNK))
            surrogates, history, notes, tasks, logs = [], [], [], [], []
            for i in chunk:
                sid = next_id + i
                first, last = FIRST[rng.randrange(len(FIRST))], LAST[rng.randrange(len(LAST))]
                number = 10001 + i
                created = now - five_years + span * i
                stage = rng.choices(stages, weights)[0]
                changed = created + datetime.timedelta(days=rng.randrange(1, 60))
                email = f"{first}.{last}.{number}@mail-{org_index}.example.com".lower()
                email_cipher, email_hash = pii.encrypt(email), pii.email_hash(email)
                phone_cipher, phone_hash = phone_pool[i % len(phone_pool)]
                roll = rng.random()
                owner = staff_users[rng.randrange(STAFF_PER_ORG)] if roll < 0.6 else None
                queue = unassigned.pk if 0.6 <= roll < 0.8 else None
                archived = created + datetime.timedelta(days=90) if rng.random() < 0.03 else None
                surrogates.append((
                    sid, org.pk, uuid.uuid4(), number, f"{first} {last}", email_cipher, email_hash, phone_cipher,
                    phone_hash, dob_pool[i % len(dob_pool)], stage.pk, changed, SOURCES[i % len(SOURCES)],
                    PRIORITIES[i % len(PRIORITIES)], STATES[i % len(STATES)], (None, True, False)[i % 3], owner,
                    queue, archived, admin_user, created, changed,
                ))
                history.append((org.pk, sid, None, stages[0].pk, "created", created, created, "", admin_user))
                if stage.pk != stages[0].pk:
                    history.append((org.pk, sid, stages[0].pk, stage.pk, "change", changed, changed, "", owner))
                if i % 5 == 0:
                    notes.append((org.pk, uuid.uuid4(), sid, owner or admin_user,
                                  "<p>Called and left a message; will try again Thursday.</p>", changed))
                if i % 5 == 2:
                    tasks.append((org.pk, uuid.uuid4(), sid, "Request medical records",
                                  (changed + datetime.timedelta(days=14)).date(),
                                  changed if i % 10 == 2 else None, admin_user, changed))
                if i % 10 == 3:
                    sent = changed + datetime.timedelta(hours=2)
                    logs.append((org.pk, uuid.uuid4(), f"bench-{sid}", "sent", staff_members[i % STAFF_PER_ORG],
                                 sid, email_cipher, email_hash, subject_pool[i % 4], body_pool[i % 2],
                                 f"<bench-{sid}@cradle.invalid>", "gmail", sent, sent))
            for model, cols, rows in ((Surrogate, s_cols, surrogates), (StatusChange, h_cols, history),
                                      (Note, n_cols, notes), (Task, t_cols, tasks), (EmailLog, e_cols, logs)):
                progress.add(copy_rows(raw, model, cols, rows), note=f"org {org_index + 1}/{ORGS}")
        with unscoped():
            Organization.objects.filter(pk=org.pk).update(next_surrogate_number=10001 + size)
        entry = {"id": org.pk, "slug": org.slug, "surrogates": size,
                 "staff_user_ids": staff_users, "admin_user_id": admin_user}
        if org_index == 0:
            entry["stages"] = [s.pk for s in stages]
            entry["appointments"] = _appointments(raw, rng, org, bundle["booking"], visitor_name_pool,
                                                  visitor_email_pool, now, Appointment)
            progress.add(entry["appointments"], note="appointments")
            entry["booking"] = [{"slug": link.slug, "type": str(kind.public_id), "membership_id": member.pk}
                                for member, link, kind in bundle["booking"]]
        manifest["orgs"].append(entry)
        next_id += size
    progress.close()
    raw.execute("SET session_replication_role = DEFAULT")
    print(f"rebuilding {len(index_sql)} indexes and analysing ...", file=sys.stderr)
    for number, statement in enumerate(index_sql, 1):
        t0 = time.monotonic()
        raw.execute(statement)
        print(f"  [{number}/{len(index_sql)}] {statement.split(' ON ')[0].split()[-1]} {time.monotonic() - t0:.1f}s",
              file=sys.stderr)
    raw.execute("SELECT setval(pg_get_serial_sequence('surrogates_surrogate', 'id'), %s)", (next_id,))
    # VACUUM too: a long-lived database has its visibility map set (index-only scans rely on it).
    raw.execute("VACUUM ANALYZE")
    raw.execute("CREATE TABLE bench_seed (version int, scale float, key_fingerprint text, manifest jsonb, "
                "seconds float, seeded_at timestamptz DEFAULT now())")
    raw.execute("INSERT INTO bench_seed (version, scale, key_fingerprint, manifest, seconds) VALUES (%s,%s,%s,%s,%s)",
                (SEED_VERSION, scale, env.key_fingerprint(), json.dumps(manifest), time.monotonic() - started))
    print(f"seeded in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return manifest


def _appointments(cursor, rng, org, booking, name_pool, email_pool, now, Appointment) -> int:
    """1,000 confirmed 30-minute appointments per staff member: half in the next 30 days, half before."""
    cols = ["organization_id", "public_id", "membership_id", "appointment_type_id", "status", "start_at", "end_at",
            "blocked_start", "blocked_end", "meeting_mode", "visitor_name", "visitor_email", "visitor_email_hash",
            "visitor_timezone", "idempotency_key", "manage_token_hash", "manage_token_expires_at", "created_at"]
    today = now.replace(hour=0, minute=0, second=0) + datetime.timedelta(days=1)
    rows = []
    for member, _link, kind in booking:
        inside = [today + datetime.timedelta(days=d, hours=h) for d in range(30) for h in range(24)]
        before = [today - datetime.timedelta(days=1 + d, hours=-h) for d in range(120) for h in range(8, 20)]
        half = APPOINTMENTS_PER_STAFF // 2
        for start in rng.sample(inside, half) + rng.sample(before, APPOINTMENTS_PER_STAFF - half):
            end = start + datetime.timedelta(minutes=30)
            name = name_pool[rng.randrange(len(name_pool))]
            email_cipher, email_hash = email_pool[rng.randrange(len(email_pool))]
            rows.append((org.pk, uuid.uuid4(), member.pk, kind.pk, "confirmed", start, end, start,
                         end + datetime.timedelta(minutes=5), "zoom", name, email_cipher, email_hash, "Europe/Paris",
                         uuid.uuid4(), uuid.uuid4().hex + uuid.uuid4().hex, end, now))
    return copy_rows(cursor, Appointment, cols, rows)
