"""Every status-change rule, at the service level (surrogates.services)."""
import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from surrogates import services
from surrogates.models import Stage, StatusChange, StatusChangeRequest, Surrogate
from surrogates.services import SurrogateError
from tenants.models import Role
from tenants.scope import org_scope

pytestmark = pytest.mark.postgres


class Ctx:
    def __init__(self, world):
        self.org = world.org_a
        self.admin = world.member(self.org, Role.ADMIN)
        self.case = world.member(self.org, Role.CASE_MANAGER)
        self.intake = world.member(self.org, Role.INTAKE_SPECIALIST)
        self.stages = {stage.key: stage for stage in Stage.objects.all()}
        self.surrogate = services.surrogate_create(membership=self.admin, full_name="Rule Subject")

    def stage(self, key):
        return self.stages[key]

    def move(self, key, membership=None, **kwargs):
        return services.surrogate_change_status(
            membership=membership or self.admin, surrogate=self.surrogate, to_stage=self.stage(key), **kwargs
        )

    def fresh(self):
        return Surrogate.objects.select_related("stage").get(pk=self.surrogate.pk)

    def age_record(self, days):
        """Pretend the record was created `days` ago (its CREATED history row too)."""
        past = timezone.now() - datetime.timedelta(days=days)
        Surrogate.objects.filter(pk=self.surrogate.pk).update(created_at=past)
        StatusChange.objects.filter(surrogate=self.surrogate).update(effective_at=past, recorded_at=past)
        self.surrogate.refresh_from_db()

    def age_last_change(self, minutes):
        """Move the newest history row's recorded_at back `minutes`; older rows go back a day,
        so it stays the newest, as it would in real time."""
        rows = StatusChange.objects.filter(surrogate=self.surrogate)
        last = rows.order_by("-recorded_at", "-id").first()
        rows.exclude(pk=last.pk).update(recorded_at=F("recorded_at") - datetime.timedelta(days=1))
        rows.filter(pk=last.pk).update(recorded_at=last.recorded_at - datetime.timedelta(minutes=minutes))


@pytest.fixture
def ctx(world):
    with org_scope(world.org_a):
        yield Ctx(world)


# --- Targets --------------------------------------------------------------------------------


def test_forward_move_applies_and_records_history(ctx):
    change = ctx.move("contacted")
    assert isinstance(change, StatusChange)
    assert (change.kind, change.from_stage.key, change.to_stage.key) == ("change", "new_unread", "contacted")
    assert change.requested_by == ctx.admin.user and change.approved_by is None
    assert abs(change.effective_at - change.recorded_at) < datetime.timedelta(seconds=5)
    assert ctx.fresh().stage.key == "contacted"


def test_same_stage_is_refused(ctx):
    with pytest.raises(SurrogateError, match="already in"):
        ctx.move("new_unread")
    assert StatusChange.objects.filter(surrogate=ctx.surrogate).count() == 1


def test_inactive_stage_is_refused(ctx):
    Stage.objects.filter(pk=ctx.stage("contacted").pk).update(is_active=False)
    ctx.stages["contacted"].refresh_from_db()
    with pytest.raises(SurrogateError, match="not an active stage"):
        ctx.move("contacted")
    assert ctx.fresh().stage.key == "new_unread"


def test_archived_surrogate_cannot_change_stage(ctx):
    services.surrogate_archive(membership=ctx.admin, surrogate=ctx.surrogate)
    with pytest.raises(SurrogateError, match="Restore"):
        ctx.move("contacted")


# --- Dates ----------------------------------------------------------------------------------


def test_future_date_is_refused(ctx):
    tomorrow = timezone.localdate(timezone.now(), ctx.org.tzinfo) + datetime.timedelta(days=1)
    with pytest.raises(SurrogateError, match="future"):
        ctx.move("contacted", when=tomorrow, reason="x")


def test_future_datetime_is_refused(ctx):
    with pytest.raises(SurrogateError, match="future"):
        ctx.move("contacted", when=timezone.now() + datetime.timedelta(hours=1), reason="x")
    assert ctx.fresh().stage.key == "new_unread"


def test_date_before_the_record_was_created_is_refused(ctx):
    ctx.age_record(days=3)
    before = timezone.localdate(ctx.surrogate.created_at, ctx.org.tzinfo) - datetime.timedelta(days=1)
    with pytest.raises(SurrogateError, match="before the record was created"):
        ctx.move("contacted", when=before, reason="late entry")


def test_datetime_before_the_record_was_created_is_refused(ctx):
    with pytest.raises(SurrogateError, match="before the record was created"):
        ctx.move("contacted", when=ctx.surrogate.created_at - datetime.timedelta(minutes=5), reason="x")


def test_date_today_without_time_means_now(ctx):
    today = timezone.localdate(timezone.now(), ctx.org.tzinfo)
    before = timezone.now()
    change = ctx.move("contacted", when=today)
    after = timezone.now()
    assert before <= change.effective_at <= after
    assert change.reason == ""  # today is not backdated, no reason needed


def test_past_date_without_time_means_noon_in_the_org_timezone(ctx):
    ctx.age_record(days=10)
    day = timezone.localdate(timezone.now(), ctx.org.tzinfo) - datetime.timedelta(days=4)
    change = ctx.move("contacted", when=day, reason="entered late")
    expected = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=ctx.org.tzinfo)
    assert change.effective_at == expected
    local = timezone.localtime(change.effective_at, ctx.org.tzinfo)
    assert (local.date(), local.hour, local.minute) == (day, 12, 0)
    assert ctx.fresh().stage_changed_at == expected


def test_noon_uses_the_orgs_own_timezone(world):
    with org_scope(world.org_b):  # America/Los_Angeles
        c = Ctx.__new__(Ctx)
        c.org = world.org_b
        c.admin = world.member(world.org_b, Role.ADMIN)
        c.stages = {stage.key: stage for stage in Stage.objects.all()}
        c.surrogate = services.surrogate_create(membership=c.admin, full_name="West Coast")
        c.age_record(days=10)
        day = timezone.localdate(timezone.now(), c.org.tzinfo) - datetime.timedelta(days=2)
        change = c.move("contacted", when=day, reason="late")
        assert change.effective_at == datetime.datetime.combine(
            day, datetime.time(12, 0), tzinfo=world.org_b.tzinfo
        )
        assert change.effective_at.astimezone(datetime.timezone.utc).hour in (19, 20)  # PDT/PST noon


def test_backdated_change_needs_a_reason(ctx):
    ctx.age_record(days=5)
    day = timezone.localdate(timezone.now(), ctx.org.tzinfo) - datetime.timedelta(days=2)
    with pytest.raises(SurrogateError, match="reason is required for a backdated"):
        ctx.move("contacted", when=day)
    with pytest.raises(SurrogateError, match="reason"):
        ctx.move("contacted", when=day, reason="   ")
    change = ctx.move("contacted", when=day, reason="Paper form from last week")
    assert change.reason == "Paper form from last week"
    assert change.effective_at < change.recorded_at


# --- Regressions and requests ---------------------------------------------------------------


def _regression_ready(ctx):
    """Admin moved it forward twice; the case manager did not make the last move, so no undo."""
    ctx.move("contacted")
    ctx.move("qualified")


def test_regression_needs_a_reason(ctx):
    _regression_ready(ctx)
    with pytest.raises(SurrogateError, match="reason is required for moving back"):
        ctx.move("contacted", membership=ctx.intake)
    assert not StatusChangeRequest.objects.exists()


def test_regression_creates_a_pending_request_and_does_not_move(ctx):
    _regression_ready(ctx)
    changes_before = StatusChange.objects.filter(surrogate=ctx.surrogate).count()
    request = ctx.move("contacted", membership=ctx.intake, reason="Not qualified yet")
    assert isinstance(request, StatusChangeRequest)
    assert request.state == "pending"
    assert (request.from_stage.key, request.to_stage.key) == ("qualified", "contacted")
    assert request.requested_by == ctx.intake.user and request.reason == "Not qualified yet"
    assert ctx.fresh().stage.key == "qualified"
    assert StatusChange.objects.filter(surrogate=ctx.surrogate).count() == changes_before


def test_only_one_pending_request_per_target(ctx):
    _regression_ready(ctx)
    ctx.move("contacted", membership=ctx.intake, reason="first")
    ctx.age_last_change(minutes=10)  # so the admin's request below is not an undo of their own move
    with pytest.raises(SurrogateError, match="already pending"):
        ctx.move("contacted", membership=ctx.admin, reason="second")
    # A different target is a different request.
    ctx.move("new_unread", membership=ctx.intake, reason="other target")
    assert StatusChangeRequest.objects.filter(state="pending").count() == 2


def test_only_the_requester_may_cancel(ctx):
    _regression_ready(ctx)
    request = ctx.move("contacted", membership=ctx.intake, reason="oops")
    for other in (ctx.admin, ctx.case):
        with pytest.raises(SurrogateError, match="Only the person who asked"):
            services.status_request_cancel(membership=other, request=request)
    assert StatusChangeRequest.objects.get(pk=request.pk).state == "pending"
    cancelled = services.status_request_cancel(membership=ctx.intake, request=request)
    assert cancelled.state == "cancelled"
    assert ctx.fresh().stage.key == "qualified"
    # Cancelled frees the target for a new request.
    assert isinstance(ctx.move("contacted", membership=ctx.intake, reason="again"), StatusChangeRequest)


def test_admin_approves_and_the_surrogate_moves(ctx):
    _regression_ready(ctx)
    ctx.age_record(days=5)
    day = timezone.localdate(timezone.now(), ctx.org.tzinfo) - datetime.timedelta(days=1)
    request = ctx.move("contacted", membership=ctx.intake, reason="Screening call not done", when=day)
    change = services.status_request_approve(membership=ctx.admin, request=request, note="ok")
    assert change.kind == "approved_regression"
    assert change.requested_by == ctx.intake.user
    assert change.approved_by == ctx.admin.user
    assert change.effective_at == request.effective_at
    assert (change.from_stage.key, change.to_stage.key) == ("qualified", "contacted")
    assert change.reason == "Screening call not done"
    assert ctx.fresh().stage.key == "contacted"
    decided = StatusChangeRequest.objects.get(pk=request.pk)
    assert (decided.state, decided.decided_by, decided.decision_note) == ("approved", ctx.admin.user, "ok")
    with pytest.raises(SurrogateError, match="already approved"):
        services.status_request_approve(membership=ctx.admin, request=request)


def test_non_admin_cannot_approve_or_reject(ctx):
    _regression_ready(ctx)
    request = ctx.move("contacted", membership=ctx.intake, reason="oops")
    for member in (ctx.intake, ctx.case):
        with pytest.raises(SurrogateError, match="role does not allow"):
            services.status_request_approve(membership=member, request=request)
        with pytest.raises(SurrogateError, match="role does not allow"):
            services.status_request_reject(membership=member, request=request)
    assert ctx.fresh().stage.key == "qualified"


def test_reject_leaves_the_surrogate_where_it_is(ctx):
    _regression_ready(ctx)
    request = ctx.move("contacted", membership=ctx.intake, reason="oops")
    rejected = services.status_request_reject(membership=ctx.admin, request=request, note="It was right")
    assert rejected.state == "rejected" and rejected.decided_by == ctx.admin.user
    assert ctx.fresh().stage.key == "qualified"
    with pytest.raises(SurrogateError, match="already rejected"):
        services.status_request_approve(membership=ctx.admin, request=request)


def test_approving_after_the_surrogate_moved_meanwhile_is_refused(ctx):
    _regression_ready(ctx)
    request = ctx.move("contacted", membership=ctx.intake, reason="oops")
    ctx.move("interview_scheduled")
    with pytest.raises(SurrogateError, match="moved since"):
        services.status_request_approve(membership=ctx.admin, request=request)
    assert ctx.fresh().stage.key == "interview_scheduled"
    assert StatusChangeRequest.objects.get(pk=request.pk).state == "pending"


# --- Undo -----------------------------------------------------------------------------------


def test_undo_by_the_same_user_within_five_minutes_applies_immediately(ctx):
    ctx.move("contacted", membership=ctx.intake)
    change = ctx.move("new_unread", membership=ctx.intake)
    assert isinstance(change, StatusChange) and change.kind == "undo"
    assert ctx.fresh().stage.key == "new_unread"
    assert not StatusChangeRequest.objects.exists()


def test_undo_after_five_minutes_becomes_a_request(ctx):
    ctx.move("contacted", membership=ctx.intake)
    ctx.age_last_change(minutes=6)
    with pytest.raises(SurrogateError, match="reason"):
        ctx.move("new_unread", membership=ctx.intake)
    result = ctx.move("new_unread", membership=ctx.intake, reason="changed my mind")
    assert isinstance(result, StatusChangeRequest)
    assert ctx.fresh().stage.key == "contacted"


def test_undo_just_inside_the_window_still_applies(ctx):
    ctx.move("contacted", membership=ctx.intake)
    ctx.age_last_change(minutes=4)
    assert ctx.move("new_unread", membership=ctx.intake).kind == "undo"


def test_undo_by_another_user_becomes_a_request(ctx):
    ctx.move("contacted", membership=ctx.intake)
    result = ctx.move("new_unread", membership=ctx.admin, reason="admin disagrees")
    assert isinstance(result, StatusChangeRequest)
    assert ctx.fresh().stage.key == "contacted"


def test_undo_only_to_the_previous_stage(ctx):
    ctx.move("contacted", membership=ctx.intake)
    ctx.move("qualified", membership=ctx.intake)
    # Two steps back is not an undo.
    result = ctx.move("new_unread", membership=ctx.intake, reason="way back")
    assert isinstance(result, StatusChangeRequest)
    assert ctx.fresh().stage.key == "qualified"


# --- Roles ----------------------------------------------------------------------------------


def test_intake_role_cannot_set_post_approval_stages(ctx):
    for key in ("contacted", "qualified", "interview_scheduled", "application_submitted", "under_review", "approved"):
        ctx.move(key)
    with pytest.raises(SurrogateError, match="role does not allow"):
        ctx.move("ready_to_match", membership=ctx.intake)
    assert ctx.fresh().stage.key == "approved"
    assert all(s.stage_type != "post_approval" for s in services.stages_settable_by(ctx.intake))


def test_case_manager_cannot_set_intake_stages(ctx):
    with pytest.raises(SurrogateError, match="role does not allow"):
        ctx.move("contacted", membership=ctx.case)
    assert ctx.fresh().stage.key == "new_unread"
    assert all(s.stage_type != "intake" for s in services.stages_settable_by(ctx.case))


def test_case_manager_sets_post_approval_and_both_set_terminal(ctx):
    for key in ("contacted", "qualified", "interview_scheduled", "application_submitted", "under_review", "approved"):
        ctx.move(key)
    assert ctx.move("ready_to_match", membership=ctx.case).to_stage.key == "ready_to_match"
    assert ctx.move("lost", membership=ctx.case).to_stage.key == "lost"


def test_audit_records_the_stage_change_without_pii(ctx):
    from tenants.models import ActivityEvent

    ctx.move("contacted")
    event = ActivityEvent.objects.filter(action="surrogate.stage_changed").get()
    assert event.data["from"] == "new_unread" and event.data["to"] == "contacted"
    assert event.target_id == str(ctx.surrogate.public_id)
    assert "Rule Subject" not in str(event.data)
