"""Uploaded bytes on disk: random names under MEDIA_ROOT/uploads/<organization id>/, never served
directly (the download view streams them after its checks), written with mode 0600."""
import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings


class StorageError(Exception):
    pass


def root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve() / "uploads"


def path_for(storage_name: str) -> Path:
    base = root()
    path = (base / storage_name).resolve()
    if base not in path.parents:
        raise StorageError("Storage name escapes the upload root.")
    return path


def write(*, organization_id: int, chunks) -> tuple[str, str, int]:
    """Write the chunks under a fresh random name; returns (storage_name, sha256 hex, size)."""
    storage_name = f"{int(organization_id)}/{secrets.token_hex(20)}"
    path = path_for(storage_name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return storage_name, digest.hexdigest(), size


def open_stored(storage_name: str):
    return open(path_for(storage_name), "rb")


def sha256_of(storage_name: str) -> str:
    digest = hashlib.sha256()
    with open_stored(storage_name) as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def delete(storage_name: str) -> None:
    if storage_name:
        path_for(storage_name).unlink(missing_ok=True)
