"""The tamper-evident security audit log: a separate app because it is a separate concern.

tenants.audit.ActivityEvent is the working history coordinators read on a record; this is the
append-only, hash-chained record of security events (sign-ins, permission and role changes,
approvals, exports, full-record views, admin changes) that an admin or auditor checks. One chain
per organization; `manage.py verify_audit_chain` reports the first broken link.
"""
