"""The coordinator's home page at `/`: the day at a glance, across surrogates, tasks and approvals.

No models of its own: it reads through the other apps' selectors in a fixed number of queries.
"""
