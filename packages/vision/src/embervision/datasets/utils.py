"""Checksums, downloads and archive extraction under torchvision's names.

The machinery lives in ``ember.utils._download``, shared with the text and audio packages;
downloads there use a short socket timeout, so a machine without network access gets an error
in seconds rather than a hang, and the datasets turn it into a message saying which files to
place where.
"""

from __future__ import annotations

from ember.utils._download import (
    calculate_md5,
    check_integrity,
    check_md5,
    download_and_extract_archive,
    download_url,
    extract_archive,
)

__all__ = [
    "calculate_md5",
    "check_integrity",
    "check_md5",
    "download_and_extract_archive",
    "download_url",
    "extract_archive",
    "verify_str_arg",
]


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
