"""Claim a row before calling a provider, so that exactly one worker makes the call.

Shared by every outbound call that must happen at most once (a Gmail send, a Zoom meeting).
The row has a state, a claim version and a lease:

    ready -> busy (claimed: version + 1, lease_until set) -> done | failed
                                                         -> ready   (provably not sent: released)
                                                         -> busy with the lease lapsed (maybe sent)

A claim is one conditional UPDATE on the state and version we read, so two workers can never
both hold it. A row found busy with an expired lease was claimed by a worker that died or gave
up mid-call: whoever claims it next must reconcile with the provider before calling again
(`Claim.maybe_sent`). Every later write is guarded by the claim version, so a worker that lost
its lease can no longer overwrite the row.
"""
import datetime
import random
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone


@dataclass(frozen=True)
class LeaseSpec:
    model: type
    ready: str  # the state a row waits in before any attempt
    busy: str  # the state while a worker holds (or held) the claim
    state_field: str = "state"
    error_field: str = "last_error"


@dataclass(frozen=True)
class Claim:
    spec: LeaseSpec
    pk: int
    version: int
    maybe_sent: bool  # an earlier claim may have reached the provider: reconcile first

    def _mine(self):
        return self.spec.model.objects.filter(
            pk=self.pk, claim_version=self.version, **{self.spec.state_field: self.spec.busy}
        )

    def update(self, **fields) -> bool:
        """Write fields while we still hold the claim (the row stays busy)."""
        return bool(self._mine().update(**fields))

    def finish(self, state: str, **fields) -> bool:
        """Leave the busy state (done, failed, or back to ready), only if the claim is still ours."""
        return bool(self._mine().update(lease_until=None, **{self.spec.state_field: state}, **fields))

    def release(self, error: str) -> bool:
        """The call provably did not reach the provider: back to ready, to be tried again."""
        return self.finish(self.spec.ready, **{self.spec.error_field: error[:300]})

    def lapse(self, error: str) -> bool:
        """The call may have landed: stay busy with the lease expired, so the next claim reconciles."""
        return bool(self._mine().update(lease_until=timezone.now(), **{self.spec.error_field: error[:300]}))


def claim(spec: LeaseSpec, row, *, lease_seconds: float, now=None) -> Claim | float:
    """Claim `row` (as read) for one attempt. Returns the Claim, or how many seconds to wait
    before trying again (another worker holds a live lease, or won the race for this one)."""
    now = now or timezone.now()
    state = getattr(row, spec.state_field)
    if state == spec.busy and row.lease_until and row.lease_until > now:
        return (row.lease_until - now).total_seconds() + 1
    version = row.claim_version + 1
    claimable = Q(**{spec.state_field: spec.ready}) | Q(
        Q(lease_until__lte=now) | Q(lease_until__isnull=True), **{spec.state_field: spec.busy}
    )
    claimed = spec.model.objects.filter(claimable, pk=row.pk, claim_version=row.claim_version).update(
        **{spec.state_field: spec.busy},
        claim_version=version,
        lease_until=now + datetime.timedelta(seconds=lease_seconds),
    )
    if not claimed:
        return 1.0
    return Claim(spec=spec, pk=row.pk, version=version, maybe_sent=state == spec.busy)


def backoff(attempts: int, base: float) -> float:
    """Exponential with full jitter: up to base * 2^attempts seconds, at least one second."""
    return max(1.0, random.uniform(0, base * (2**attempts)))


DONE, RETRY = "done", "retry"


def run_task(task, step, *, max_retries: int) -> str:
    """Drive a bound Celery task whose `step()` returns (DONE, None) or (RETRY, countdown seconds).

    On a worker a RETRY becomes a Celery retry with that countdown (bounded by max_retries). Eager
    (dev/test, no worker): retried inline without the wait, rather than raised into the request.
    """
    outcome = RETRY
    for _ in range(max_retries + 1):
        outcome, countdown = step()
        if outcome != RETRY:
            return outcome
        if not task.request.is_eager:
            raise task.retry(countdown=countdown)
    return outcome
