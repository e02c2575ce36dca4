"""The optional readers some datasets need, imported only when used: scipy for MATLAB
``.mat`` files (the ``embervision[mat]`` extra) and h5py for HDF5 files (``embervision[hdf5]``).
"""

from __future__ import annotations

import os


def loadmat(path, **kwargs):
    """``scipy.io.loadmat(path, **kwargs)``.

    Raises:
        RuntimeError: scipy is not installed.
        FileNotFoundError: ``path`` does not exist.
        ValueError: naming ``path`` when it is not a MATLAB file scipy can read (corrupt,
            truncated).
    """
    try:
        import scipy.io
    except ImportError:
        raise RuntimeError(
            "Scipy is not found. This dataset needs to have scipy installed: pip install scipy "
            "(or embervision[mat])"
        ) from None
    try:
        return scipy.io.loadmat(os.fspath(path), **kwargs)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, scipy.io.matlab.MatReadError) as error:
        raise ValueError(f"cannot read MATLAB file {path}: {error}") from None


def import_h5py():
    """The ``h5py`` module.

    Raises:
        RuntimeError: h5py is not installed.
    """
    try:
        import h5py
    except ImportError:
        raise RuntimeError(
            "h5py is not found. This dataset needs to have h5py installed: please run pip "
            "install h5py (or embervision[hdf5])"
        ) from None
    return h5py
