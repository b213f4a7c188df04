"""Intended parents, matches and the match calendar: the other side of a surrogacy.

A separate app because it is a separate domain with its own records and lifecycle: intended
parents have their own numbers (I10001...), contact PII, budget and status flow, and a match
joins a surrogate to an intended parent with its own proposal/review/decision workflow and
calendar. It depends on `surrogates` (a match moves the surrogate to `matched`); `surrogates`
does not depend on it. Stage regressions of surrogates stay in `surrogates`; backward moves of
intended parents and cancelling an accepted match wait for an admin in MatchApproval, shown on
the same approvals page.
"""
