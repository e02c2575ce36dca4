"""Checksums, downloads and archive extraction shared by the datasets (torchvision's names).

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

USER_AGENT = "embervision"

# Seconds a connection attempt (and each read) may take before the download is abandoned.
DOWNLOAD_TIMEOUT = 5.0


def calculate_md5(fpath, chunk_size=1024 * 1024):
    """The hex md5 digest of a file, read in chunks."""
    # usedforsecurity=False: md5 is a checksum here, and FIPS builds refuse it otherwise.
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


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
    opener = urllib.request.build_opener(_LimitedRedirects(max_redirect_hops))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp_path = tempfile.mkstemp(dir=root, prefix=f".{filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, opener.open(request, timeout=DOWNLOAD_TIMEOUT) as resp:
            for chunk in iter(lambda: resp.read(1024 * 1024), b""):
                out.write(chunk)
        if not check_integrity(tmp_path, md5):
            raise RuntimeError(f"File not found or corrupted: {url} does not have md5 {md5}.")
        os.replace(tmp_path, fpath)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a ``.tar``, ``.tar.gz``/``.tgz``, ``.zip`` or a single ``.gz`` file.

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
    if name.endswith((".tar", ".tar.gz", ".tgz")):
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
            "known suffixes are .gz, .tar, .tar.gz, .tgz and .zip."
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


def iterable_to_str(iterable):
    return "'" + "', '".join(str(item) for item in iterable) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    """Check that ``value`` is a string and, if ``valid_values`` is given, one of them.

    Returns:
        str: ``value`` unchanged.

    Raises:
        ValueError: with torchvision's message naming ``arg`` and the valid values.
    """
    if not isinstance(value, str):
        where = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is not None:
        raise ValueError(custom_msg)
    raise ValueError(
        f"Unknown value '{value}' for argument {arg}. "
        f"Valid values are {{{iterable_to_str(valid_values)}}}."
    )


def _placement_hint(folder, names, note=""):
    """Tell a user without network access which files to put where."""
    listing = "\n".join(f"  {name}" for name in names)
    return f"Without network access, place these files{note} in {folder}:\n{listing}"


def _download_from_mirrors(urls, root, filename, md5, hint):
    """``download_and_extract_archive`` from the first of ``urls`` that works.

    Raises:
        RuntimeError: every url failed; the message lists each failure, then ``hint``.
    """
    failures = []
    for url in urls:
        try:
            download_and_extract_archive(url, root, filename=filename, md5=md5)
            return
        except (OSError, RuntimeError) as error:  # URLError and timeouts are OSErrors
            failures.append(f"  {url}: {error}")
    raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(failures) + "\n" + hint)
