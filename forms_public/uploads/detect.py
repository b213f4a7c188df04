"""What a file really is, decided from its bytes, never from its name or the browser's word.

A small signature table rather than a library (filetype, puremagic): we accept five types, two of
them zip containers that a magic-byte library can only guess from the first kilobytes, and we
must open those zips anyway to cap their entry count and uncompressed size. Ten lines of
signatures we can read are easier to trust than a dependency's table of hundreds.
"""
import io
import os
import zipfile
from dataclasses import dataclass

# Caps for zip-based documents (docx/xlsx): refuse zip bombs before anything unpacks them.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_UNCOMPRESSED = 100 * 1024 * 1024
ZIP_MAX_RATIO = 200  # uncompressed / compressed, for the whole archive
HEAD_BYTES = 16


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    content_type: str  # what we send on download, whatever the uploader claimed
    extensions: tuple[str, ...]
    declared: tuple[str, ...]  # content types a browser may declare for it
    is_image: bool = False


KINDS = {
    kind.key: kind
    for kind in (
        Kind("pdf", "PDF", "application/pdf", (".pdf",), ("application/pdf", "application/x-pdf")),
        Kind("jpeg", "JPEG image", "image/jpeg", (".jpg", ".jpeg"), ("image/jpeg", "image/pjpeg"), is_image=True),
        Kind("png", "PNG image", "image/png", (".png",), ("image/png",), is_image=True),
        Kind(
            "docx",
            "Word document (.docx)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        ),
        Kind(
            "xlsx",
            "Excel workbook (.xlsx)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
        ),
    )
}
DEFAULT_ALLOWED = ["pdf", "jpeg", "png", "docx", "xlsx"]
# Browsers send these when they do not know; they say nothing either way.
NEUTRAL_DECLARED = {"", "application/octet-stream", "binary/octet-stream", "application/zip",
                    "application/x-zip-compressed"}


class UploadRejected(Exception):
    """The file is refused; the message is safe to show to the uploader."""


def _sniff_head(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _office_kind(fileobj) -> str:
    """docx or xlsx, after checking the archive against the caps; refuses anything else."""
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadRejected("is a damaged or unsupported archive.") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > ZIP_MAX_ENTRIES:
            raise UploadRejected("contains too many parts to be opened safely.")
        total = sum(info.file_size for info in infos)
        packed = max(1, sum(info.compress_size for info in infos))
        if total > ZIP_MAX_UNCOMPRESSED or total / packed > ZIP_MAX_RATIO:
            raise UploadRejected("expands to too much data to be opened safely.")
        names = {info.filename for info in infos}
        if any(info.flag_bits & 0x1 for info in infos):
            raise UploadRejected("is encrypted; upload an unprotected copy.")
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise UploadRejected("contains macros; save it without macros (.docx or .xlsx).")
        if "[Content_Types].xml" not in names:
            raise UploadRejected("is an archive, not a document.")
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    raise UploadRejected("is an archive, not a supported document.")


def detect_kind(fileobj) -> str:
    """The kind key of this file (file position is restored), or UploadRejected."""
    start = fileobj.tell()
    try:
        head = fileobj.read(HEAD_BYTES)
        fileobj.seek(start)
        sniffed = _sniff_head(head)
        if sniffed == "zip":
            return _office_kind(fileobj)
        if sniffed is None:
            raise UploadRejected("is not a file type we accept.")
        return sniffed
    finally:
        fileobj.seek(start)


def check_upload(fileobj, *, name: str, declared_type: str, size: int, allowed, max_bytes: int) -> Kind:
    """Every content check before storing: size, type by content, allowlist, name/type agreement."""
    if size <= 0:
        raise UploadRejected("is empty.")
    if size > max_bytes:
        raise UploadRejected(f"is larger than the {max_bytes // (1024 * 1024)} MB limit.")
    kind = KINDS[detect_kind(fileobj)]
    if kind.key not in allowed:
        raise UploadRejected(f"is a {kind.label}, which this form does not accept.")
    extension = os.path.splitext(name or "")[1].lower()
    if extension not in kind.extensions:
        raise UploadRejected(f"is named {extension or 'without an extension'} but its content is a {kind.label}.")
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in NEUTRAL_DECLARED and declared not in kind.declared:
        raise UploadRejected(f"was sent as {declared} but its content is a {kind.label}.")
    return kind
