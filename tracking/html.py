"""Make outgoing HTML trackable: rewrite http(s) links to click redirects, add the open pixel.

Runs on HTML already sanitised by nh3 (messaging.rendering), whose output quotes every
attribute with double quotes, so a regex over <a href="..."> is exact here.
"""
import html
import re

from django.conf import settings
from django.urls import reverse

from tracking import tokens

_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")', re.IGNORECASE)
SKIPPED_PREFIXES = ("mailto:", "tel:", "#")


def is_trackable(url: str) -> bool:
    lowered = url.strip().lower()
    return lowered.startswith(("http://", "https://")) and not lowered.startswith(SKIPPED_PREFIXES)


def public_url(name: str, token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse(name, args=[token])


def rewrite(body_html: str, *, public_id) -> tuple[str, list[tuple[int, str]]]:
    """(html with tracked links and the pixel, [(position, original url)])."""
    links: list[tuple[int, str]] = []

    def replace(match):
        url = html.unescape(match.group(2)).strip()
        if not is_trackable(url):
            return match.group(0)
        position = len(links)
        links.append((position, url))
        tracked = public_url("tracking:click", tokens.make("click", public_id, position))
        return f"{match.group(1)}{html.escape(tracked)}{match.group(3)}"

    rewritten = _HREF.sub(replace, body_html)
    pixel = public_url("tracking:open", tokens.make("open", public_id))
    rewritten += f'<img src="{html.escape(pixel)}" width="1" height="1" alt="" style="display:block;border:0">'
    return rewritten, links


def for_staff(body_html: str, *, public_id, links: list[tuple[int, str]]) -> str:
    """The message as sent, minus the pixel and with original links: staff viewing it in Cradle
    must not count as opens or clicks."""
    pixel = public_url("tracking:open", tokens.make("open", public_id))
    body = re.sub(r'<img src="' + re.escape(html.escape(pixel)) + r'"[^>]*>', "", body_html)
    for position, url in links:
        tracked = html.escape(public_url("tracking:click", tokens.make("click", public_id, position)))
        body = body.replace(f'href="{tracked}"', f'href="{html.escape(url)}"')
    return body
