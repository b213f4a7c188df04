"""Signals other apps may listen to. Sent after the change has committed, with ids only."""
from django.dispatch import Signal

# kwargs: organization_id, surrogate_id, from_stage_id, to_stage_id. Sent with send_robust:
# a listener's failure is logged and never undoes or fails the stage change.
stage_changed = Signal()
