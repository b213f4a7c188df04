"""A row can never reference another organization's row: the services refuse, and so does PostgreSQL.

The composite foreign keys are DEFERRABLE INITIALLY DEFERRED, so inside the test transaction we
force them with SET CONSTRAINTS ALL IMMEDIATE (or connection.check_constraints(), which does the
same) inside a savepoint.
"""
import pytest
from django.db import IntegrityError, connection, transaction

from surrogates import services
from surrogates.models import Note, Stage, StatusChangeRequest, Surrogate, Task
from surrogates.services import SurrogateError
from tenants.db_constraints import constraint_name, ensure_same_org_constraints, tenant_foreign_keys
from tenants.models import Role
from tenants.scope import org_scope

pytestmark = pytest.mark.postgres


@pytest.fixture
def pair(world):
    out = {}
    for key, org in (("a", world.org_a), ("b", world.org_b)):
        with org_scope(org):
            admin = world.member(org, Role.ADMIN)
            surrogate = services.surrogate_create(membership=admin, full_name=f"Person {key}", email=f"p@{key}.test")
            out[key] = {
                "org": org,
                "admin": admin,
                "surrogate": surrogate,
                "note": services.note_add(membership=admin, surrogate=surrogate, body="<p>hi</p>"),
                "task": services.task_create(membership=admin, surrogate=surrogate, title="Call"),
                "stage": Stage.objects.get(key="contacted"),
            }
    return out


def _raw_immediately(sql, params):
    """Run SQL in a savepoint with every deferred constraint checked at once."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql, params)


def test_every_tenant_to_tenant_fk_has_a_composite_same_org_constraint(db):
    fks = list(tenant_foreign_keys())
    labels = {(model._meta.label, field.name) for model, field, _ in fks}
    # The ones we know about today must be among them (later models are picked up automatically).
    assert {
        ("surrogates.Surrogate", "stage"),
        ("surrogates.StatusChange", "surrogate"),
        ("surrogates.StatusChange", "from_stage"),
        ("surrogates.StatusChange", "to_stage"),
        ("surrogates.StatusChangeRequest", "surrogate"),
        ("surrogates.Note", "surrogate"),
        ("surrogates.Task", "surrogate"),
        ("tenants.MemberPermission", "membership"),
    } <= labels
    with connection.cursor() as cursor:
        for model, field, target in fks:
            cursor.execute(
                """
                SELECT c.condeferrable, c.condeferred, c.confrelid::regclass::text,
                       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num),
                       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
                          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num)
                FROM pg_constraint c
                WHERE c.contype = 'f' AND c.conname = %s AND c.conrelid = %s::regclass
                """,
                [constraint_name(model, field), model._meta.db_table],
            )
            row = cursor.fetchone()
            assert row is not None, f"missing same-org constraint for {model._meta.label}.{field.name}"
            deferrable, deferred, target_table, columns, target_columns = row
            assert (deferrable, deferred) == (True, True)
            assert target_table == target._meta.db_table
            assert columns == ["organization_id", field.column]
            assert target_columns == ["organization_id", "id"]


def test_ensure_constraints_is_idempotent(db):
    assert ensure_same_org_constraints() == []


def test_raw_insert_of_note_pointing_at_other_orgs_surrogate_fails(pair):
    with pytest.raises(IntegrityError):
        _raw_immediately(
            "INSERT INTO surrogates_note (public_id, organization_id, surrogate_id, body_html, created_at) "
            "VALUES (gen_random_uuid(), %s, %s, 'x', now())",
            [pair["a"]["org"].pk, pair["b"]["surrogate"].pk],
        )


def test_raw_update_moving_a_note_to_other_orgs_surrogate_fails(pair):
    with pytest.raises(IntegrityError):
        _raw_immediately(
            "UPDATE surrogates_note SET surrogate_id = %s WHERE id = %s",
            [pair["b"]["surrogate"].pk, pair["a"]["note"].pk],
        )
    with org_scope(pair["a"]["org"]):
        assert Note.objects.get(pk=pair["a"]["note"].pk).surrogate_id == pair["a"]["surrogate"].pk


def test_raw_update_relabelling_a_note_into_other_org_fails(pair):
    # Moving the note's organization but not its surrogate is just as wrong.
    with pytest.raises(IntegrityError):
        _raw_immediately(
            "UPDATE surrogates_note SET organization_id = %s WHERE id = %s",
            [pair["b"]["org"].pk, pair["a"]["note"].pk],
        )


def test_raw_insert_of_status_change_with_other_orgs_stage_fails(pair):
    with pytest.raises(IntegrityError):
        _raw_immediately(
            "INSERT INTO surrogates_statuschange (organization_id, surrogate_id, to_stage_id, kind, effective_at, "
            "recorded_at, reason) VALUES (%s, %s, %s, 'change', now(), now(), '')",
            [pair["a"]["org"].pk, pair["a"]["surrogate"].pk, pair["b"]["stage"].pk],
        )


def test_raw_update_of_surrogate_stage_to_other_orgs_stage_fails(pair):
    with pytest.raises(IntegrityError):
        _raw_immediately(
            "UPDATE surrogates_surrogate SET stage_id = %s WHERE id = %s",
            [pair["b"]["stage"].pk, pair["a"]["surrogate"].pk],
        )


def test_orm_write_across_orgs_fails_at_commit_time(pair):
    """Without forcing: the deferred constraint fires when the transaction (here the savepoint) is checked."""
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with org_scope(pair["a"]["org"]):
                Task.objects.create(
                    organization=pair["a"]["org"], surrogate=pair["b"]["surrogate"], title="sneaky"
                )
            connection.check_constraints()


def test_same_org_raw_insert_is_accepted(pair):
    _raw_immediately(
        "INSERT INTO surrogates_note (public_id, organization_id, surrogate_id, body_html, created_at) "
        "VALUES (gen_random_uuid(), %s, %s, 'x', now())",
        [pair["a"]["org"].pk, pair["a"]["surrogate"].pk],
    )


def test_member_permission_for_other_orgs_membership_fails(pair, world):
    membership_b = world.member(world.org_b, Role.CASE_MANAGER)
    with pytest.raises(IntegrityError):
        _raw_immediately(
            "INSERT INTO tenants_memberpermission (organization_id, membership_id, permission, effect) "
            "VALUES (%s, %s, 'surrogates.view_all', 'grant')",
            [world.org_a.pk, membership_b.pk],
        )


# --- Services refuse it before the database has to ---------------------------------------


def _refused(call):
    with pytest.raises(SurrogateError, match="another organization"):
        call()


def test_services_refuse_other_orgs_rows(pair):
    a, b = pair["a"], pair["b"]
    with org_scope(a["org"]):
        admin = a["admin"]
        _refused(lambda: services.note_add(membership=admin, surrogate=b["surrogate"], body="<p>x</p>"))
        _refused(lambda: services.task_create(membership=admin, surrogate=b["surrogate"], title="x"))
        _refused(lambda: services.task_set_completed(membership=admin, task=b["task"], completed=True))
        _refused(lambda: services.surrogate_update(membership=admin, surrogate=b["surrogate"], priority="high"))
        _refused(lambda: services.surrogate_archive(membership=admin, surrogate=b["surrogate"]))
        _refused(
            lambda: services.surrogate_change_status(membership=admin, surrogate=b["surrogate"], to_stage=a["stage"])
        )
        _refused(
            lambda: services.surrogate_change_status(membership=admin, surrogate=a["surrogate"], to_stage=b["stage"])
        )
        _refused(lambda: services.surrogate_create(membership=admin, full_name="X", stage=b["stage"]))
    with org_scope(b["org"]):
        b_archived = services.surrogate_archive(membership=b["admin"], surrogate=b["surrogate"])
    with org_scope(a["org"]):
        _refused(lambda: services.surrogate_restore(membership=a["admin"], surrogate=b_archived))


def test_services_refuse_deciding_other_orgs_status_request(pair, world):
    a, b = pair["a"], pair["b"]
    with org_scope(b["org"]):
        services.surrogate_change_status(membership=b["admin"], surrogate=b["surrogate"], to_stage=b["stage"])
        new_unread = Stage.objects.get(key="new_unread")
        # Another user asks to move back, so it is a request rather than an undo.
        request = services.surrogate_change_status(
            membership=world.member(world.org_b, Role.INTAKE_SPECIALIST),
            surrogate=b["surrogate"],
            to_stage=new_unread,
            reason="mistake",
        )
        assert isinstance(request, StatusChangeRequest)
    with org_scope(a["org"]):
        _refused(lambda: services.status_request_approve(membership=a["admin"], request=request))
        _refused(lambda: services.status_request_reject(membership=a["admin"], request=request))
        _refused(lambda: services.status_request_cancel(membership=a["admin"], request=request))
    with org_scope(b["org"]):
        assert StatusChangeRequest.objects.get(pk=request.pk).state == "pending"
        assert Surrogate.objects.get(pk=b["surrogate"].pk).stage.key == "contacted"


def test_surrogate_owner_from_another_org_is_refused(pair, world):
    outsider = world.member(world.org_b, Role.CASE_MANAGER).user
    with org_scope(world.org_a):
        with pytest.raises(SurrogateError):
            services.surrogate_create(membership=pair["a"]["admin"], full_name="X", owner=outsider)
        with pytest.raises(SurrogateError):
            services.surrogate_update(membership=pair["a"]["admin"], surrogate=pair["a"]["surrogate"], owner=outsider)
