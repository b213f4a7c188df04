"""Keep raw PII out of logs: mask IPs (v4 to /24, v6 to /64), drop emails, phones and tokens."""
import ipaddress
import logging
import re

IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])")
IPV6_RE = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})?(?:[0-9A-Fa-f]{1,4})?(?![0-9A-Fa-f:])|(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){1,7}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<![\w/])\+?\d[\d\s().\-]{7,}\d(?!\w)")
# Path segments that carry secrets (public form links, booking tokens, tracking tokens).
TOKEN_PATH_RE = re.compile(r"/(apply|book/manage|t/o|t/c|tracking/[a-z]+|invite|reset)/[^/\s?\"]+")
LONG_TOKEN_RE = re.compile(r"\b[A-Za-z0-9_\-]{32,}\b")
QUERY_SECRET_RE = re.compile(r"([?&](?:token|code|state|key|password|email|phone)=)[^&\s\"]*", re.I)


def mask_ip(value: str) -> str:
    """The network part only: IPv4 /24, IPv6 /64. Unparseable input is dropped."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _mask_ipv4(match: re.Match) -> str:
    if any(int(part) > 255 for part in match.groups()):
        return match.group(0)
    return f"{match.group(1)}.{match.group(2)}.{match.group(3)}.0/24"


def _mask_ipv6(match: re.Match) -> str:
    text = match.group(0)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return mask_ip(text)


def scrub_text(text: str) -> str:
    text = TOKEN_PATH_RE.sub(lambda m: f"/{m.group(1)}/[token]", text)
    text = QUERY_SECRET_RE.sub(lambda m: f"{m.group(1)}[redacted]", text)
    text = EMAIL_RE.sub("[email]", text)
    text = IPV4_RE.sub(_mask_ipv4, text)
    text = IPV6_RE.sub(_mask_ipv6, text)
    text = PHONE_RE.sub("[phone]", text)
    text = LONG_TOKEN_RE.sub("[token]", text)
    return text


class ScrubPIIFilter(logging.Filter):
    """Render the message once, scrub it, and freeze it so no handler sees the raw arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not crash logging
            message = str(record.msg)
        record.msg = scrub_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        # django.server attaches the request; nothing downstream needs it.
        if hasattr(record, "request"):
            record.request = None
        return True
