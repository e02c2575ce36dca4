"""Downloads and archives under torchtext's names (``torchtext.utils``).

Thin wrappers over ``ember.utils._download``: connections time out after
``DOWNLOAD_TIMEOUT`` seconds, so a machine without network access gets an error at once, and
a download is written under a temporary name, so a failed one leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tarfile
import zipfile

from ember.utils import _download

__all__ = ["download_from_url", "extract_archive", "validate_file"]

logger = logging.getLogger(__name__)


def validate_file(file_obj, hash_value, hash_type="sha256"):
    """Validate a given file object with its hash.

    Args:
        file_obj: File object to read from.
        hash_value (str): Hash for url.
        hash_type (str, optional): Hash type, among "sha256" and "md5" (Default: ``"sha256"``).

    Returns:
        bool: return True if its a valid file, else False.
    """
    if hash_type not in ("sha256", "md5"):
        raise ValueError(f"Hash type {hash_type} is not supported; use sha256 or md5")
    digest = hashlib.new(hash_type, usedforsecurity=False)
    for chunk in iter(lambda: file_obj.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest() == hash_value


def _hash_problem(path, hash_value, hash_type):
    with open(path, "rb") as f:
        if validate_file(f, hash_value, hash_type):
            return None
    return (
        f"The hash of {os.path.abspath(path)} does not match. Delete the file manually and retry."
    )


def download_from_url(
    url, path=None, root=".data", overwrite=False, hash_value=None, hash_type="sha256"
):
    """Download file. Returns the path to the downloaded file.

    Nothing is downloaded when the file exists and ``overwrite`` is False (its hash is still
    checked when ``hash_value`` is given).

    Args:
        url: the url of the file from URL header. (None)
        path: path where file will be saved
        root: download folder used to store the file in (.data)
        overwrite: overwrite existing files (False)
        hash_value (str, optional): hash for url (Default: ``None``).
        hash_type (str, optional): hash type, among "sha256" and "md5" (Default: ``"sha256"``).

    Raises:
        urllib.error.URLError, OSError: the server cannot be reached in time.
        RuntimeError: the file's hash does not match ``hash_value``.
    """
    if path is None:
        path = os.path.join(os.path.abspath(root), os.path.basename(url))
    else:
        path = os.path.abspath(path)

    if os.path.exists(path) and not overwrite:
        logger.info("File %s already exists.", path)
        problem = _hash_problem(path, hash_value, hash_type) if hash_value else None
        if problem:
            raise RuntimeError(problem)
        return path

    logger.info("Downloading from %s to %s", url, path)

    def check(tmp_path):
        return _hash_problem(tmp_path, hash_value, hash_type) if hash_value else None

    _download.fetch(url, path, check)
    return path


def _archive_names(from_path):
    if from_path.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(from_path) as tar:
            return [member.name for member in tar.getmembers()]
    if from_path.endswith(".zip"):
        with zipfile.ZipFile(from_path) as archive:
            return archive.namelist()
    if from_path.endswith(".gz"):
        return [os.path.basename(from_path)[:-3]]
    raise NotImplementedError("We currently only support tar.gz, .tgz, .gz and zip achives.")


def extract_archive(from_path, to_path=None, overwrite=False):
    """Extract archive.

    Args:
        from_path: the path of the archive.
        to_path: the root path of the extracted files (directory of from_path)
        overwrite: overwrite existing files (False); without it an archive whose files all
            exist already is not extracted again.

    Returns:
        List of paths to extracted files even if not overwritten.

    Raises:
        NotImplementedError: not a ``.tar.gz``, ``.tgz``, ``.tar``, ``.zip`` or ``.gz`` file.

    Examples:
        >>> url = 'http://www.quest.dcs.shef.ac.uk/wmt16_files_mmt/validation.tar.gz'
        >>> from_path = './validation.tar.gz'
        >>> to_path = './'
        >>> download_from_url(url, from_path)
        >>> extract_archive(from_path, to_path)
        ['.data/val.de', '.data/val.en']
    """
    from_path = os.fspath(from_path)
    if to_path is None:
        to_path = os.path.dirname(from_path)
    files = [os.path.join(to_path, name) for name in _archive_names(from_path)]
    if overwrite or not all(os.path.exists(f) for f in files):
        _download.extract_archive(from_path, to_path)
    return files
