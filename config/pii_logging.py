"""Keep raw PII out of logs: mask IPs (v4 to /24, v6 to /64), drop emails, phones and tokens."""
import ipaddress
import logging
import re

# An optional /prefix is consumed too, so scrubbing already-masked text changes nothing.
IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])(?:/\d{1,2}(?!\d))?")
IPV6_RE = re.compile(
    r"(?:(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})?(?:[0-9A-Fa-f]{1,4})?(?![0-9A-Fa-f:])|(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){1,7}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?)(?:/\d{1,3}(?!\d))?"
)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", re.I)
PHONE_RE = re.compile(r"(?<![\w/])\+?\d[\d\s().\-]{7,}\d(?!\w)")
MIN_PHONE_DIGITS = 9  # fewer is a status code and a size ("200 17074"), a count, a port...
# A bare run of this many digits (no +, no separators) is an id, not a phone: Facebook page and
# lead ids are 15-17 digits, while numbers written bare are at most 14 (E.164's 15 needs a rare
# country; with "+" or separators any length is still a phone).
MIN_BARE_ID_DIGITS = 15
# The status and size after an access log's request line ('"POST /x/ HTTP/1.1" 500 145', also
# daphne's '"POST /x/" 500 145') are set aside before phone matching: together they can have
# enough digits to look like a phone number.
REQUEST_TAIL_RE = re.compile(r'("(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|CONNECT|TRACE|WEBSOCKET) [^"\s]*(?: HTTP/[\d.]+)?")( \d{3} (?:\d+|-))(?!\S)')
# Query strings carry searches (names, emails, phones) and secrets: logs keep only the path.
QUERY_STRING_RE = re.compile(r"((?:https?://[^\s/?\"]+)?/[^\s?\"]*)\?[^\s\"#]+")
# Path segments that carry secrets (public form links, booking tokens, tracking tokens).
TOKEN_PATH_RE = re.compile(r"/(apply|book/manage|t/o|t/c|tracking/[a-z]+|invite|reset)/[^/\s?\"]+")
LONG_TOKEN_RE = re.compile(r"\b[A-Za-z0-9_\-]{32,}\b")
QUERY_SECRET_RE = re.compile(r"([?&](?:token|code|state|key|password|email|phone)=)[^&\s\"]*", re.I)
# Timestamps look like phone numbers to PHONE_RE; they are not PII, so they are kept as they are.
DATETIME_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\b")
_KEPT_RE = re.compile(r"\x00(\d+)\x00")


def mask_ip(value: str) -> str:
    """The network part only: IPv4 /24, IPv6 /64. Unparseable input is dropped."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _mask_ipv4(match: re.Match) -> str | None:
    if any(int(part) > 255 for part in match.groups()):
        return None
    return f"{match.group(1)}.{match.group(2)}.{match.group(3)}.0/24"


def _mask_ipv6(match: re.Match) -> str | None:
    text = match.group(0).split("/")[0]
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return None
    return mask_ip(text)


def _mask_phone(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < MIN_PHONE_DIGITS or (text.isdigit() and digits >= MIN_BARE_ID_DIGITS):
        return text
    return "[phone]"


def scrub_text(text: str) -> str:
    # Masked IPs and timestamps are set aside while the later patterns run, so that
    # "192.168.1.0/24" or "2024-01-15 12:00" is not mistaken for a phone number.
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    def keep_masked(masker):
        def replace(match: re.Match) -> str:
            masked = masker(match)
            return match.group(0) if masked is None else keep(masked)

        return replace

    text = _KEPT_RE.sub("", text)
    text = TOKEN_PATH_RE.sub(lambda m: f"/{m.group(1)}/[token]", text)
    text = QUERY_SECRET_RE.sub(lambda m: f"{m.group(1)}[redacted]", text)
    text = QUERY_STRING_RE.sub(lambda m: f"{m.group(1)}?[query]", text)
    text = EMAIL_RE.sub("[email]", text)
    text = IPV4_RE.sub(keep_masked(_mask_ipv4), text)
    text = IPV6_RE.sub(keep_masked(_mask_ipv6), text)
    text = DATETIME_RE.sub(lambda m: keep(m.group(0)), text)
    text = REQUEST_TAIL_RE.sub(lambda m: m.group(1) + keep(m.group(2)), text)
    text = PHONE_RE.sub(_mask_phone, text)
    text = LONG_TOKEN_RE.sub("[token]", text)
    return _KEPT_RE.sub(lambda m: kept[int(m.group(1))], text)


class ScrubPIIFilter(logging.Filter):
    """Render the message once, scrub it, and freeze it so no handler sees the raw arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_pii_scrubbed", False):  # already scrubbed by another handler
            return True
        record._pii_scrubbed = True
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
