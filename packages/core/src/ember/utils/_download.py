"""Checksums, downloads and archive extraction shared by the domain packages' datasets.

Downloads use a short socket timeout, so a machine without network access gets an error in
seconds rather than a hang; the datasets turn that error into a message saying which files to
place where.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
import tempfile
import urllib.request
import zipfile

USER_AGENT = "ember"

# Seconds a connection attempt (and each read) may take before the download is abandoned.
DOWNLOAD_TIMEOUT = 5.0


def file_digest(fpath, algorithm, chunk_size=1024 * 1024):
    """The hex digest of a file under ``algorithm`` ("md5", "sha256", ...), read in chunks."""
    # usedforsecurity=False: md5 is a checksum here, and FIPS builds refuse it otherwise.
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def calculate_md5(fpath, chunk_size=1024 * 1024):
    """The hex md5 digest of a file, read in chunks."""
    return file_digest(fpath, "md5", chunk_size)


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """Whether ``fpath`` is a file and, when ``md5`` is given, has that md5 digest."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


class _LimitedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, max_hops):
        self.max_redirections = max_hops


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Download a file from a url and place it in root.

    Nothing is downloaded when the file is already there with the right checksum. The file
    is written under a temporary name and renamed once verified, so a failed download never
    leaves a partial file behind.

    Args:
        url (str): URL to download the file from.
        root (str): Directory to place the downloaded file in.
        filename (str, optional): Name to save the file under; default the URL's basename.
        md5 (str, optional): MD5 checksum of the download; ``None`` skips the check.
        max_redirect_hops (int, optional): Maximum number of redirects to follow.

    Raises:
        urllib.error.URLError, OSError: the server cannot be reached within
            ``DOWNLOAD_TIMEOUT`` seconds or the transfer fails.
        RuntimeError: the downloaded file does not match ``md5``.
    """
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)

    if check_integrity(fpath, md5):
        print(f"Using downloaded and verified file: {fpath}")
        return

    print(f"Downloading {url} to {fpath}")

    def check(path):
        if check_integrity(path, md5):
            return None
        return f"File not found or corrupted: {url} does not have md5 {md5}."

    fetch(url, fpath, check, max_redirect_hops)


def fetch(url, dst, check=None, max_redirect_hops=3):
    """Download ``url`` to the path ``dst`` atomically.

    The bytes go to a temporary file beside ``dst``, which replaces ``dst`` only once complete
    and once ``check(temporary_path)`` returns None; otherwise the temporary file is removed.

    Raises:
        urllib.error.URLError, OSError: the server cannot be reached within
            ``DOWNLOAD_TIMEOUT`` seconds or the transfer fails.
        RuntimeError: ``check`` returned a message (the error's text).
    """
    folder, name = os.path.split(os.path.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    opener = urllib.request.build_opener(_LimitedRedirects(max_redirect_hops))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, opener.open(request, timeout=DOWNLOAD_TIMEOUT) as resp:
            for chunk in iter(lambda: resp.read(1024 * 1024), b""):
                out.write(chunk)
        problem = None if check is None else check(tmp_path)
        if problem is not None:
            raise RuntimeError(problem)
        os.replace(tmp_path, dst)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a ``.tar`` (plain, gzip, bzip2 or xz: ``.tar.gz``/``.tgz``, ``.tar.bz2``,
    ``.tar.xz``), a ``.zip`` or a single ``.gz`` file.

    Args:
        from_path (str): Path to the archive.
        to_path (str, optional): Directory to extract into; default the archive's directory.
        remove_finished (bool): Remove the archive after extraction.

    Returns:
        str: The directory the archive was extracted to.
    """
    from_path = os.fspath(from_path)
    if to_path is None:
        to_path = os.path.dirname(from_path)
    name = os.path.basename(from_path)
    if name.endswith(_TAR_SUFFIXES):
        # The "data" filter refuses members that would land outside to_path, links out of it
        # and device files (Python >= 3.10.12).
        with tarfile.open(from_path) as tar:
            tar.extractall(to_path, filter="data")
    elif name.endswith(".zip"):
        # zipfile drops absolute and ".." path components itself.
        with zipfile.ZipFile(from_path) as archive:
            archive.extractall(to_path)
    elif name.endswith(".gz"):
        with gzip.open(from_path, "rb") as src, open(os.path.join(to_path, name[:-3]), "wb") as dst:
            dst.write(src.read())
    else:
        raise RuntimeError(
            f"Unknown compression or archive type of {from_path!r}; "
            f"known suffixes are .gz, .zip and {', '.join(_TAR_SUFFIXES)}."
        )
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(
    url, download_root, extract_root=None, filename=None, md5=None, remove_finished=False
):
    """``download_url`` then ``extract_archive`` (into ``download_root`` by default)."""
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    print(f"Extracting {archive} to {extract_root}")
    extract_archive(archive, extract_root, remove_finished)


def placement_hint(folder, names, note=""):
    """Tell a user without network access which files to put where."""
    listing = "\n".join(f"  {name}" for name in names)
    return f"Without network access, place these files{note} in {folder}:\n{listing}"


def download_from_mirrors(urls, root, filename, md5, hint, extract=True):
    """``download_and_extract_archive`` (``download_url`` with ``extract=False``) from the
    first of ``urls`` that works.

    Raises:
        RuntimeError: every url failed; the message lists each failure, then ``hint``.
    """
    failures = []
    for url in urls:
        try:
            if extract:
                download_and_extract_archive(url, root, filename=filename, md5=md5)
            else:
                download_url(url, root, filename, md5)
            return
        except (OSError, RuntimeError) as error:  # URLError and timeouts are OSErrors
            failures.append(f"  {url}: {error}")
    raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(failures) + "\n" + hint)
