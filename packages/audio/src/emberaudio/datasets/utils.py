"""Helpers shared by the datasets: fetching and unpacking archives, loading waveforms."""

from __future__ import annotations

import os

from ember.hub import download_url_to_file
from ember.utils._download import extract_archive, placement_hint

from .._backend import load


def _download_and_extract(url, archive, hash_prefix, to_path=None):
    """Download ``url`` to the path ``archive`` unless it is there, then extract it into
    ``to_path`` (default: the archive's folder).

    Raises:
        RuntimeError: the download failed (no network, server error); the message names the
            archive and the folder to put it in. A checksum mismatch raises
            ``download_url_to_file``'s RuntimeError.
    """
    archive = os.fspath(archive)
    if not os.path.isfile(archive):
        try:
            download_url_to_file(url, archive, hash_prefix=hash_prefix)
        except OSError as error:  # URLError and timeouts are OSErrors
            folder, name = os.path.split(archive)
            raise RuntimeError(
                f"Error downloading {url}: {error}\n"
                + placement_hint(folder, [name], " (it is extracted on first use)")
            ) from None
    extract_archive(archive, to_path)


def _load_waveform(root, filename, exp_sample_rate):
    """``load(root/filename)``'s waveform, checking its sample rate.

    Raises:
        ValueError: the file's sample rate is not ``exp_sample_rate``.
    """
    path = os.path.join(root, filename)
    waveform, sample_rate = load(path)
    if exp_sample_rate != sample_rate:
        raise ValueError(f"sample rate should be {exp_sample_rate}, but got {sample_rate}")
    return waveform
