"""The default pipeline every new organization starts with."""
from surrogates.models import StageType

DEFAULT_STAGES = [
    ("new_unread", "New (unread)", StageType.INTAKE),
    ("contacted", "Contacted", StageType.INTAKE),
    ("qualified", "Qualified", StageType.INTAKE),
    ("interview_scheduled", "Interview scheduled", StageType.INTAKE),
    ("application_submitted", "Application submitted", StageType.INTAKE),
    ("under_review", "Under review", StageType.INTAKE),
    ("approved", "Approved", StageType.INTAKE),
    ("ready_to_match", "Ready to match", StageType.POST_APPROVAL),
    ("matched", "Matched", StageType.POST_APPROVAL),
    ("medical_clearance_passed", "Medical clearance passed", StageType.POST_APPROVAL),
    ("legal_clearance_passed", "Legal clearance passed", StageType.POST_APPROVAL),
    ("transfer_cycle", "Transfer cycle", StageType.POST_APPROVAL),
    ("second_hcg_confirmed", "Second hCG confirmed", StageType.POST_APPROVAL),
    ("heartbeat_confirmed", "Heartbeat confirmed", StageType.POST_APPROVAL),
    ("ob_care_established", "OB care established", StageType.POST_APPROVAL),
    ("anatomy_scanned", "Anatomy scanned", StageType.POST_APPROVAL),
    ("delivered", "Delivered", StageType.POST_APPROVAL),
    ("lost", "Lost", StageType.TERMINAL),
    ("disqualified", "Disqualified", StageType.TERMINAL),
]
