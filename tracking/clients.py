"""Who is asking: a masked address, the user agent, and whether it is a machine, not a person."""
import ipaddress
import re

from tenants.ratelimits import client_ip

# Mail-provider image proxies, link scanners, prefetchers and generic HTTP clients.
MACHINE_AGENTS = re.compile(
    r"GoogleImageProxy|ggpht\.com|YahooMailProxy|Yahoo! Slurp|Barracuda|Mimecast|Proofpoint|Symantec|"
    r"Trend ?Micro|SafeLinks|Microsoft Outlook Preview|preview|prefetch|bot\b|crawler|spider|"
    r"python-requests|python-urllib|curl/|wget/|Go-http-client|okhttp|HeadlessChrome",
    re.IGNORECASE,
)
PREFETCH_HEADERS = ("HTTP_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


def masked_ip(request) -> str:
    """IPv4 to its /24, IPv6 to its /48: enough for rough geography, never the full address."""
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]


def is_machine(request) -> bool:
    if request.method == "HEAD":
        return True
    agent = request.META.get("HTTP_USER_AGENT", "")
    if not agent.strip() or MACHINE_AGENTS.search(agent):
        return True
    return any(
        word in request.META.get(header, "").lower() for header in PREFETCH_HEADERS for word in ("prefetch", "preview")
    )
