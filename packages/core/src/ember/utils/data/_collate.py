"""Turning a list of samples into a batch (``default_collate``) and converting single samples
(``default_convert``), with torch's rules for every container and leaf type."""

from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

from ..._creation import as_tensor, tensor
from ..._dtype import float64
from ..._tensor import Tensor
from ...ops.shape import stack

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

# numpy dtypes of strings and Python objects, which have no tensor equivalent
_np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _rebuild_mapping(elem, values):
    """A mapping of ``elem``'s type holding ``values`` (a dict) where the type allows it."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            # a copy keeps any extra attributes of the mapping type
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:  # the type supports neither copy/update nor construction from a dict
        return values


def _rebuild_sequence(elem, values):
    """A sequence of ``elem``'s type holding ``values`` (a list) where the type allows it."""
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def default_convert(data):
    """Convert numpy arrays and numbers inside ``data`` to tensors, keeping its structure.

    The ``collate_fn`` of a ``DataLoader`` without automatic batching (``batch_size=None``).
    Tensors pass through; numpy arrays and numpy scalars become tensors (arrays of strings or
    objects are left alone); mappings, namedtuples and sequences are converted element-wise
    (plain tuples become lists, as in torch); anything else is returned unchanged.
    """
    if isinstance(data, Tensor):
        return data
    if type(data).__module__ == "numpy" and not isinstance(data, (str, bytes)):
        if isinstance(data, np.ndarray) and _np_str_obj_array_pattern.search(data.dtype.str):
            return data
        # np.asarray first: a numpy scalar keeps its dtype (as_tensor would treat it as a
        # Python float and give the default dtype)
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate a list of samples, recursing through containers.

    Leaves are handled by ``collate_fn_map``: the function registered for the type of the
    first sample (or the first registered type it is an instance of) is called as
    ``fn(batch, collate_fn_map=collate_fn_map)``. Extend ``default_collate_fn_map`` in a copy
    to teach collation a new leaf type.

    Args:
        batch: a list of samples, all of the same structure.
        collate_fn_map: leaf type (or tuple of types) -> collate function.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        values = {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
        }
        return _rebuild_mapping(elem, values)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(
            *(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch))
        )
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if not all(len(e) == elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        values = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return values  # torch turns tuples into lists
        return _rebuild_sequence(elem, values)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def _collate_tensor(batch, *, collate_fn_map=None):
    return stack(batch, 0)


def _collate_numpy_array(batch, *, collate_fn_map=None):
    if _np_str_obj_array_pattern.search(batch[0].dtype.str):
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar(batch, *, collate_fn_map=None):
    return as_tensor(np.asarray(batch))


def _collate_float(batch, *, collate_fn_map=None):
    # torch's rule: Python floats collate to float64, whatever the default dtype
    return tensor(batch, dtype=float64)


def _collate_int(batch, *, collate_fn_map=None):
    return tensor(batch)  # int64; bools (an int subclass) stay bool


def _collate_str(batch, *, collate_fn_map=None):
    return batch


# Order matters: numpy float64 is a subclass of float, so the numpy scalar entry comes first.
default_collate_fn_map = {
    Tensor: _collate_tensor,
    np.ndarray: _collate_numpy_array,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def default_collate(batch):
    """Collate a list of samples into a batch: the ``collate_fn`` of a batching ``DataLoader``.

    Tensors are stacked along a new first dimension; numpy arrays become tensors and are
    stacked; numpy scalars become a tensor of their dtype; Python floats a float64 tensor
    (torch's rule, not the default dtype); Python ints an int64 tensor (bools a bool tensor);
    strings and bytes stay a list. Mappings, namedtuples and sequences are collated
    field-wise, keeping their type (tuples become lists, as in torch).

    Example:
        >>> default_collate([(0, "a"), (1, "b")])
        [tensor([0, 1]), ('a', 'b')]
        >>> default_collate([{"x": 1.0}, {"x": 2.0}])
        {'x': tensor([1., 2.], dtype=ember.float64)}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
