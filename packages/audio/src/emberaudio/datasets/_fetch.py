"""Fetching a single file (a word list, a metadata table) that is used as it is, unextracted."""

from __future__ import annotations

import os

from ember.hub import download_url_to_file
from ember.utils._download import placement_hint


def _fetch_file(url, path, hash_prefix=None):
    """Download ``url`` to the path ``path``.

    Raises:
        RuntimeError: the download failed (no network, server error); the message names the
            file and the folder to put it in. A checksum mismatch raises
            ``download_url_to_file``'s RuntimeError.
    """
    try:
        download_url_to_file(url, os.fspath(path), hash_prefix=hash_prefix)
    except OSError as error:  # URLError and timeouts are OSErrors
        folder, name = os.path.split(os.fspath(path))
        raise RuntimeError(
            f"Error downloading {url}: {error}\n" + placement_hint(folder, [name])
        ) from None
