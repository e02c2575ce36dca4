"""The model store: the one directory the server may register archives from.

Clients name archives relative to the store (``mnist.emar``, ``team/resnet.emar``). A name that
is absolute, climbs out with ``..``, or resolves outside the store through a symlink is
refused. URLs are refused too unless the server's ``allowed_urls`` list has a prefix for them;
an allowed archive is downloaded into the store first.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from .errors import Conflict, Forbidden, InvalidInput, ModelNotFound

__all__ = ["ModelStore", "is_url"]

_CHUNK = 1 << 20


def is_url(ref):
    return urlsplit(ref).scheme in ("http", "https")


def _url_allowed(url, prefix):
    """Whether ``url`` lies under ``prefix``: same scheme and host, path below prefix's path."""
    u, p = urlsplit(url), urlsplit(prefix)
    if (u.scheme, u.netloc) != (p.scheme, p.netloc):
        return False
    base = p.path if p.path.endswith("/") else p.path + "/"
    return u.path == p.path or u.path.startswith(base)


class ModelStore:
    """The directory of archives a server may load.

    Args:
        root (str or os.PathLike): the store directory.
        allowed_urls (sequence of str): URL prefixes archives may be downloaded from
            (``"https://models.example.com/emar/"``); empty: no URLs.
        max_download_size (int): the largest archive downloaded, in bytes.
        download_timeout (float): seconds a download may stall.
    """

    def __init__(self, root, allowed_urls=(), max_download_size=1 << 34, download_timeout=60.0):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"the model store {str(root)!r} is not a directory")
        self.allowed_urls = list(allowed_urls)
        self.max_download_size = max_download_size
        self.download_timeout = download_timeout

    def archives(self):
        """The ``.emar`` files directly in the store, sorted."""
        return sorted(p for p in self.root.glob("*.emar") if p.is_file())

    def resolve(self, ref):
        """The path of archive ``ref`` (a name relative to the store, or an allowed URL).

        Raises:
            Forbidden: ``ref`` points outside the store, or is a URL not allowed.
            ModelNotFound: no such file in the store.
        """
        if is_url(ref):
            return self.fetch(ref)
        if "://" in ref:
            raise Forbidden(f"{ref!r}: only http(s) URLs in allowed_urls can be registered")
        parts = PurePosixPath(ref.replace("\\", "/"))
        if not ref or parts.is_absolute() or ".." in parts.parts or Path(ref).is_absolute():
            raise Forbidden(f"{ref!r} is not a file name inside the model store")
        path = (self.root / ref).resolve()
        if not path.is_relative_to(self.root):
            raise Forbidden(f"{ref!r} resolves outside the model store")
        if not path.is_file():
            raise ModelNotFound(f"the model store has no archive {ref!r}")
        return path

    def fetch(self, url):
        """Download ``url`` into the store (it must lie under an allowed prefix)."""
        if not any(_url_allowed(url, prefix) for prefix in self.allowed_urls):
            raise Forbidden(
                f"{url!r} is not under any allowed_urls prefix; registering from URLs is "
                "limited to those (none are allowed by default)"
            )
        name = PurePosixPath(urlsplit(url).path).name
        if not name.endswith(".emar") or name.startswith("."):
            raise InvalidInput(f"{url!r} does not name a .emar file")
        target = self.root / name
        if target.exists():
            raise Conflict(f"the model store already has {name!r}; register it by name")
        temporary = target.with_name(f".{name}.download")
        try:
            with (
                urllib.request.urlopen(url, timeout=self.download_timeout) as response,
                open(temporary, "xb") as out,
            ):
                size = 0
                while chunk := response.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_download_size:
                        raise InvalidInput(
                            f"{url!r} is larger than the {self.max_download_size} bytes allowed"
                        )
                    out.write(chunk)
            os.replace(temporary, target)
        except OSError as exc:  # URLError, HTTPError, timeouts
            raise InvalidInput(f"cannot download {url!r}: {exc}") from None
        finally:
            temporary.unlink(missing_ok=True)
        return target
