"""Uploaded files waiting between a preview and the clerk's confirmation (imports, scanner files).

The file waits in the shared storage under a random name (every web process sees it); the view ties it to the
clerk with a signed token. Files nobody confirmed may hold personal data: each new upload first deletes those
older than twice the token's lifetime.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone


def store_upload(content: bytes, filename: str, *, directory: str, max_age_seconds: int,
                 default_extension: str = ".bin") -> str:
    """Save ``content`` under ``directory`` with a random name keeping the extension; return the storage path."""
    purge_uploads(directory=directory, older_than_seconds=max_age_seconds * 2)
    extension = os.path.splitext(filename)[1].lower()[:5] or default_extension
    return default_storage.save(f"{directory}/{uuid.uuid4().hex}{extension}", ContentFile(content))


def purge_uploads(*, directory: str, older_than_seconds: int) -> None:
    limit = timezone.now() - timedelta(seconds=older_than_seconds)
    try:
        _dirs, names = default_storage.listdir(directory)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in names:
        path = f"{directory}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError):
            continue
