"""Downloads under ``torch.hub``'s names.

Connections use a short socket timeout (``ember.utils._download.DOWNLOAD_TIMEOUT``), so a
machine without network access gets an error in seconds rather than a hang.
"""

from __future__ import annotations

import os
import sys

from .utils._download import fetch, file_digest

__all__ = ["download_url_to_file"]


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download the object at ``url`` to the local path ``dst``.

    The file is written under a temporary name beside ``dst`` and renamed once complete (and
    verified), so a failed download never leaves a partial file at ``dst``.

    Args:
        url (str): URL of the object to download.
        dst (str): Full path where the object will be saved, e.g. ``/tmp/temporary_file``.
        hash_prefix (str, optional): If not None, the SHA256 digest of the downloaded file
            should start with ``hash_prefix``. Default: None.
        progress (bool, optional): whether or not to report the download on stderr.
            Default: True.

    Raises:
        urllib.error.URLError, OSError: the server cannot be reached in time or the transfer
            fails.
        RuntimeError: the digest does not start with ``hash_prefix``.
    """
    dst = os.path.expanduser(os.fspath(dst))

    def check(path):
        if hash_prefix is None:
            return None
        digest = file_digest(path, "sha256")
        if digest.startswith(hash_prefix):
            return None
        return f'invalid hash value (expected "{hash_prefix}", got "{digest}")'

    if progress:
        print(f"Downloading: {url!r} to {dst}", file=sys.stderr)
    fetch(url, dst, check)
