"""Downloads under ``torch.hub``'s names.

Connections use a short socket timeout (``ember.utils._download.DOWNLOAD_TIMEOUT``), so a
machine without network access gets an error in seconds rather than a hang. The cache is
torch's own (``~/.cache/torch/hub`` by default), so checkpoints PyTorch downloaded are reused.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse

import ember

from .utils._download import fetch, file_digest, placement_hint

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

# The hash prefix in a file name: resnet18-f37072fd.pth
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir = None


def get_dir():
    """Get the Torch Hub cache directory used for storing downloaded models & weights.

    If :func:`set_dir` is not called, default path is ``$TORCH_HOME/hub`` where environment
    variable ``$TORCH_HOME`` defaults to ``$XDG_CACHE_HOME/torch``. ``$XDG_CACHE_HOME``
    follows the X Design Group specification of the Linux filesystem layout, with a default
    value ``~/.cache`` if the environment variable is not set.
    """
    if _hub_dir is not None:
        return _hub_dir
    cache = os.getenv("XDG_CACHE_HOME", "~/.cache")
    torch_home = os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))
    return os.path.join(torch_home, "hub")


def set_dir(d):
    """Optionally set the Torch Hub directory used to save downloaded models & weights.

    Args:
        d (str): path to a local folder to save downloaded models & weights.
    """
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


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


def load_state_dict_from_url(
    url,
    model_dir=None,
    map_location=None,
    progress=True,
    check_hash=False,
    file_name=None,
    weights_only=False,
):
    """Loads the Torch serialized object at the given URL.

    If the object is already present in ``model_dir``, it's deserialized and returned. The
    default value of ``model_dir`` is ``<hub_dir>/checkpoints`` where ``hub_dir`` is the
    directory returned by :func:`get_dir`. The file is read by :func:`ember.load`: a
    ``torch.save`` checkpoint (never running code from it), an ``ember.save`` file or a
    safetensors file. Unlike torch, a zip holding one other checkpoint is not unpacked.

    Args:
        url (str): URL of the object to download
        model_dir (str, optional): directory in which to save the object
        map_location (optional): a function or a dict specifying how to remap storage
            locations (see :func:`ember.load`)
        progress (bool, optional): whether or not to report the download on stderr.
            Default: True
        check_hash (bool, optional): If True, the filename part of the URL should follow the
            naming convention ``filename-<sha256>.ext`` where ``<sha256>`` is the first eight
            or more digits of the SHA256 hash of the contents of the file. The hash is used to
            ensure unique names and to verify the contents of the file. Default: False
        file_name (str, optional): name for the downloaded file. Filename from ``url`` will be
            used if not set.
        weights_only (bool, optional): accepted for torch compatibility; loading is always
            weights-only (see :func:`ember.load`).

    Raises:
        RuntimeError: the download failed (no network: the message says where to put the
            file) or its hash does not match.

    Example::

        >>> state_dict = ember.hub.load_state_dict_from_url(
        ...     "https://download.pytorch.org/models/resnet18-f37072fd.pth"
        ... )
    """
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = os.path.basename(urllib.parse.urlparse(url).path)
    if file_name is not None:
        filename = file_name
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        try:
            download_url_to_file(url, cached_file, hash_prefix, progress=progress)
        except OSError as error:  # URLError and timeouts are OSErrors
            hint = placement_hint(model_dir, [filename])
            raise RuntimeError(f"Error downloading {url}: {error}\n{hint}") from error
    return ember.load(cached_file, map_location=map_location, weights_only=weights_only)
