"""Outbound email to surrogates: templates, one-off sends, campaigns, the suppression list.

A separate domain from its neighbours because it is the agency's correspondence, not a transport
or an endpoint: `integrations.gmail` is one way to deliver a message (a console transport is
another), and `tracking` is the public surface (pixel, click redirects, unsubscribe) that reports
back into the EmailLog rows kept here. Templates, logs, campaigns and suppressions change together
and are read together (the campaign page, a surrogate's email history), so they live together.
"""
