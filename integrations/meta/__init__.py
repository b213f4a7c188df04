"""Meta (Facebook/Instagram) lead ads: the webhook, the lead fetch, Conversions API feedback.

Its own Django app (label "meta") with its own migrations, so provider schemas never collide.
"""
