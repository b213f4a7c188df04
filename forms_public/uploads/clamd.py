"""A small clamd client: PING and INSTREAM over TCP (host:port) or a unix socket.

Our own ~80 lines rather than a package: `clamd` on PyPI has been unmaintained since 2014 and
`clamav-client` is GPL-2.0. The protocol is documented in clamd(8): send "zINSTREAM\\0", then
chunks each prefixed by its length as a 4-byte big-endian integer, then a zero-length chunk;
clamd answers "stream: OK", "stream: <signature> FOUND" or "<reason> ERROR", NUL-terminated.
"""
import socket
import struct
from dataclasses import dataclass

CHUNK = 64 * 1024
CONNECT_TIMEOUT = 5
# Generous: clamd may be reloading its database or unpacking a large document.
READ_TIMEOUT = 60
MAX_REPLY = 4096


class ScannerUnavailable(Exception):
    """clamd could not be reached or did not answer; the file must stay pending."""


@dataclass(frozen=True)
class ScanResult:
    infected: bool
    signature: str = ""  # the signature name when infected
    error: str = ""  # clamd's reason when it refused to scan (e.g. size limit)

    @property
    def clean(self) -> bool:
        return not self.infected and not self.error


def _connect(address: str) -> socket.socket:
    if not address:
        raise ScannerUnavailable("No scanner address is configured (CLAMAV_ADDRESS).")
    try:
        if address.startswith("/") or address.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect(address.removeprefix("unix:"))
        else:
            host, _, port = address.rpartition(":")
            sock = socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError) as exc:
        raise ScannerUnavailable(f"Cannot connect to clamd: {exc.__class__.__name__}") from exc
    sock.settimeout(READ_TIMEOUT)
    return sock


def _reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0") and len(data) < MAX_REPLY:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    if not data:
        raise ScannerUnavailable("clamd closed the connection without an answer.")
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(address: str) -> bool:
    try:
        with _connect(address) as sock:
            sock.sendall(b"zPING\0")
            return _reply(sock) == "PONG"
    except (ScannerUnavailable, OSError):
        return False


def parse_reply(reply: str) -> ScanResult:
    if reply.endswith(" FOUND"):
        signature = reply.removeprefix("stream:").removesuffix(" FOUND").strip()
        return ScanResult(infected=True, signature=signature[:200])
    if reply.endswith(" OK") or reply == "stream: OK":
        return ScanResult(infected=False)
    if reply.endswith(" ERROR"):
        return ScanResult(infected=False, error=reply.removesuffix(" ERROR").strip()[:200])
    raise ScannerUnavailable("clamd gave an answer we do not understand.")


def scan_stream(fileobj, *, address: str) -> ScanResult:
    """Send the whole file to clamd; ScannerUnavailable if it cannot give a verdict."""
    try:
        with _connect(address) as sock:
            sock.sendall(b"zINSTREAM\0")
            while True:
                chunk = fileobj.read(CHUNK)
                if not chunk:
                    break
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            return parse_reply(_reply(sock))
    except (BrokenPipeError, ConnectionResetError) as exc:
        # clamd hangs up mid-stream when the file exceeds its StreamMaxLength; its reply (if it
        # managed to send one) is lost, so this is indistinguishable from a crash: stay pending.
        raise ScannerUnavailable(f"clamd dropped the connection: {exc.__class__.__name__}") from exc
    except (socket.timeout, OSError) as exc:
        raise ScannerUnavailable(f"clamd did not answer: {exc.__class__.__name__}") from exc
