"""Helpers shared by the distributions: broadcasting parameters, probabilities and logits,
cached properties."""

from __future__ import annotations

import functools
from numbers import Number

import numpy as np

import ember

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
    "tril_matrix_to_vec",
    "vec_to_tril_matrix",
]


def finfo(dtype):
    """numpy's ``finfo`` of an ember floating-point dtype (``eps``, ``tiny``, ``max``)."""
    return np.finfo(dtype.np)


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape.

    Numbers become tensors of the first tensor's dtype and device (the default dtype on the
    CPU when every value is a number); everything is then broadcast as by
    ``ember.broadcast_tensors``.

    Raises:
        ValueError: if a value is neither a Tensor nor a number.
    """
    if not all(isinstance(v, (ember.Tensor, Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of numbers.Number, "
            "torch.Tensor or objects implementing __torch_function__."
        )
    if not all(isinstance(v, ember.Tensor) for v in values):
        options = {"dtype": ember.get_default_dtype()}
        for value in values:
            if isinstance(value, ember.Tensor):
                options = {"dtype": value.dtype, "device": value.device}
                break
        values = [v if isinstance(v, ember.Tensor) else ember.tensor(v, **options) for v in values]
    return ember.broadcast_tensors(*values)


def _batch_shape(values, broadcast):
    """The batch shape of parameters given as ``values``: ``()`` when all are numbers, else
    the shape of ``broadcast``, one of them after ``broadcast_all``."""
    if all(isinstance(v, Number) for v in values):
        return ember.Size()
    return broadcast.shape


def _standard_normal(shape, dtype, device):
    return ember.randn(shape, dtype=dtype, device=device)


def _sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions of ``value`` (none when ``dim`` is 0)."""
    if dim == 0:
        return value
    required_shape = value.shape[: value.dim() - dim] + (-1,)
    return value.reshape(required_shape).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: the sigmoid for binary (Bernoulli) logits, else the softmax
    over the rightmost dimension."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp probabilities into ``[eps, 1 - eps]`` (``eps`` of their dtype), keeping logits
    finite."""
    eps = float(finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: ``log(p) - log1p(-p)`` for binary probabilities, else
    ``log(p)`` (whose softmax gives the probabilities back); clamped first."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:
    """A property computed on first access and then stored on the instance (the stored value
    replaces the descriptor for that instance). The function runs with gradients enabled, so
    a parameter derived lazily stays in the graph of the one it came from."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a ``lazy_property`` gives on its class: still recognisable as a lazy property, and
    a ``property`` for documentation tools."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


class _BinaryParameters:
    """The lazy ``logits``-from-``probs`` and ``probs``-from-``logits`` conversions of the
    distributions of binary trials (Bernoulli, Binomial, Geometric, ...), and the storing and
    expanding of whichever of the two was given."""

    def _init_binary_param(self, probs, logits, total_count=None):
        """Store whichever of ``probs`` and ``logits`` is given as that attribute and as
        ``_param``, broadcast with ``total_count`` where there is one (stored too, in their
        dtype). Returns the batch shape: ``()`` for a number without ``total_count``.

        Raises:
            ValueError: unless exactly one of ``probs`` and ``logits`` is given.
        """
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        if total_count is None:
            (param,) = broadcast_all(value)
            batch_shape = ember.Size() if isinstance(value, Number) else param.shape
        else:
            total_count, param = broadcast_all(total_count, value)
            self.total_count = total_count.type_as(param)
            batch_shape = param.shape
        setattr(self, name, param)
        self._param = param
        return batch_shape

    def _expand_binary_param(self, new, batch_shape):
        """Give ``new`` this one's ``probs`` and ``logits`` (those computed so far) and
        ``_param``, expanded to ``batch_shape``."""
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(batch_shape))
                new._param = getattr(new, name)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


def tril_matrix_to_vec(mat, diag=0):
    """The lower triangle (from diagonal ``diag``) of the rightmost two dimensions of ``mat``,
    row by row, as a vector."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    arange = ember.arange(n, device=mat.device)
    tril_mask = arange < arange.reshape(-1, 1) + (diag + 1)
    return mat[..., tril_mask]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of ``tril_matrix_to_vec``: a square matrix whose lower triangle (from
    ``diag``) holds ``vec``, zeros elsewhere."""
    # n from the length m = n (n + 1) / 2 + diag * n - |diag| (|diag| + 1) / 2 ... solved
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = float(finfo(ember.float32).eps)
    if round(n) - n > eps:
        raise ValueError(
            f"The size of last dimension is {m} which cannot be expressed as "
            + "the lower triangular part of a square D x D matrix."
        )
    n = round(n)
    mat = vec.new_zeros(vec.shape[:-1] + (n, n))
    arange = ember.arange(n, device=vec.device)
    tril_mask = arange < arange.reshape(-1, 1) + (diag + 1)
    mat[..., tril_mask] = vec
    return mat
