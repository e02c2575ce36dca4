"""Padding: ``pad`` in torch's four modes.

``constant`` surrounds the last dims with a value (negative amounts crop). ``reflect``,
``replicate`` and ``circular`` fill the border from the input itself: output position ``j`` of a
dim padded by ``before`` reads input position ``i = j - before`` mapped back into ``[0, n)``
(reflect: ``-i`` or ``2 (n - 1) - i``; replicate: clamped; circular: modulo ``n``, but as in
torch a negative amount crops first and the other side wraps around what is left). A padded
dim is thus at most three runs of input slices (left border, the input, right border), each
read forwards, backwards or as one repeated element. Forward copies the runs out; backward adds them
back into place (the adjoint), and each of the two Functions is the other's derivative.
"""

from __future__ import annotations

from .. import backend
from ..autograd.function import Function
from ._windows import constant_pad

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


# ---------------------------------------------------------------------------------------------
# Runs of one padded dim


def _runs(mode, n, before, after):
    """The output of one dim (size ``n`` padded by ``before``/``after``) as runs ``(out, src,
    step)``: output slice ``out`` copies input slice ``src`` as is (``step`` 1), reversed (-1),
    or repeats its single element (0)."""
    m = n + before + after
    runs = []
    lo, hi = max(before, 0), min(before + n, m)
    c0, c1 = lo - before, hi - before  # the input, cropped where a padding amount is negative
    if hi > lo:
        runs.append((slice(lo, hi), slice(c0, c1), 1))
    if before > 0:  # output [0, k) reads i = j - before in [-before, k - before)
        k = min(before, m)
        if mode == "reflect":
            runs.append((slice(0, k), slice(before - k + 1, before + 1), -1))
        elif mode == "circular":  # torch wraps around the cropped input: its last k
            runs.append((slice(0, k), slice(c1 - k, c1), 1))
        else:
            runs.append((slice(0, k), slice(0, 1), 0))
    start = max(before + n, 0)
    if m > start:  # output [start, m) reads i in [start - before, n + after), all >= n
        i0, i1 = start - before, n + after
        if mode == "reflect":
            runs.append((slice(start, m), slice(2 * n - 1 - i1, 2 * n - 1 - i0), -1))
        elif mode == "circular":  # the cropped input's first m - start
            runs.append((slice(start, m), slice(c0, c0 + m - start), 1))
        else:
            runs.append((slice(start, m), slice(n - 1, n), 0))
    return runs


def _key(axis, s):
    return (slice(None),) * axis + (s,)


def _copy_runs(x, axis, runs, m):
    """``x`` with ``axis`` resized to ``m`` and filled by ``runs``."""
    xp = backend.array_module(x)
    y = xp.empty(x.shape[:axis] + (m,) + x.shape[axis + 1 :], dtype=x.dtype)
    for out, src, step in runs:
        piece = x[_key(axis, src)]
        y[_key(axis, out)] = xp.flip(piece, axis) if step == -1 else piece
    return y


def _add_runs(gy, axis, runs, n):
    """The adjoint of ``_copy_runs``: each run of ``gy`` added back onto its input slice. Within
    one run the input positions are distinct, so plain ``+=`` is exact."""
    xp = backend.array_module(gy)
    gx = xp.zeros(gy.shape[:axis] + (n,) + gy.shape[axis + 1 :], dtype=gy.dtype)
    for out, src, step in runs:
        piece = gy[_key(axis, out)]
        if step == -1:
            piece = xp.flip(piece, axis)
        elif step == 0:
            piece = piece.sum(axis=axis, keepdims=True)
        gx[_key(axis, src)] += piece
    return gx


# ---------------------------------------------------------------------------------------------
# Functions


class _ConstantPad(Function):
    """``value`` around the last dims (negative amounts crop); its adjoint is the opposite
    padding with zeros."""

    @staticmethod
    def forward(ctx, x, before, after, value):
        ctx.amounts = (before, after)
        y = constant_pad(x, before, after, value)
        # a pure crop comes back as a view; torch returns a new tensor
        return y.copy() if y.base is not None else y

    @staticmethod
    def backward(ctx, gy):
        before, after = ctx.amounts
        neg = tuple(-p for p in before), tuple(-p for p in after)
        return _ConstantPad.apply(gy, *neg, 0), None, None, None


class _BorderPad(Function):
    """Reflect, replicate or circular padding; ``plan`` is ``(axis, n, m, runs)`` per dim."""

    @staticmethod
    def forward(ctx, x, plan):
        ctx.plan = plan
        for axis, _, m, runs in plan:
            x = _copy_runs(x, axis, runs, m)
        return x if plan else x.copy()

    @staticmethod
    def backward(ctx, gy):
        return _BorderFold.apply(gy, ctx.plan), None


class _BorderFold(Function):
    """The gradient of ``_BorderPad``: the border folded back onto the input."""

    @staticmethod
    def forward(ctx, gy, plan):
        ctx.plan = plan
        for axis, n, _, runs in reversed(plan):
            gy = _add_runs(gy, axis, runs, n)
        return gy

    @staticmethod
    def backward(ctx, ggx):
        return _BorderPad.apply(ggx, ctx.plan), None


# ---------------------------------------------------------------------------------------------
# Argument checks, with torch's messages


def _check_constant(shape, before, after):
    lead = len(shape) - len(before)
    for d, (n, b, a) in enumerate(zip(shape[lead:], before, after), lead):
        if n + b + a < 0:
            raise RuntimeError(
                f"The input size {n}, plus negative padding {b} and {a} resulted in a negative "
                f"output size, which is invalid. Check dimension {d} of your input."
            )


def _check_border(mode, shape, before, after):
    k, ndim = len(before), len(shape)
    if mode != "circular":
        # torch's reflection/replication kernels allow an empty batch, nothing else empty
        checked = shape[1:] if ndim == k + 2 else shape
        if 0 in checked:
            raise RuntimeError(
                f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size "
                f"and other non-zero dimensions for input, but got: {list(shape)}"
            )
    spatial = shape[ndim - k :]
    if mode == "reflect":
        # torch numbers the checks by argument: W's pads are #4, H's #6, D's #8
        for i in reversed(range(k)):
            if before[i] >= spatial[i] or after[i] >= spatial[i]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * (k - 1 - i)}: Padding size should be less than the "
                    f"corresponding input dimension, but got: padding ({before[i]}, {after[i]}) "
                    f"at dimension {ndim - k + i} of input {list(shape)}"
                )
    out = [n + b + a for n, b, a in zip(spatial, before, after)]
    if mode == "circular":
        for n, b, a, o in zip(spatial, before, after, out):
            # torch crops first, then wraps around what is left: no more than once around it
            # either (where torch reads memory it is writing, an error or garbage)
            cropped = n - max(-b, 0) - max(-a, 0)
            if b > n or a > n or (o > 0 and max(b, a) > cropped):
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if o < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension.")
    elif min(out) < 1:
        names = "DHW"[3 - k :]
        given = ", ".join(f"{c}: {n}" for c, n in zip(names, spatial))
        calculated = " ".join(f"{c}: {o}" for c, o in zip(names, out))
        raise RuntimeError(f"input ({given}) is too small. Calculated output {calculated}")


# ---------------------------------------------------------------------------------------------
# Public function (re-exported by ember.nn.functional)


def pad(input, pad, mode="constant", value=None):
    """Pad the last dims of ``input``.

    Args:
        input: a tensor. The non-constant modes pad the last 1, 2 or 3 dims of a 2-5-d input
            with one or two leading (batch, channel) dims.
        pad: ``(left, right)`` amounts for the last dim, then ``(top, bottom)`` for the one
            before it, and so on: ``len(pad) // 2`` dims are padded, from the last backwards.
            Negative amounts crop.
        mode: ``'constant'`` (``value`` everywhere), ``'reflect'`` (mirror without repeating the
            edge; amounts below the dim's size), ``'replicate'`` (repeat the edge) or
            ``'circular'`` (wrap around; amounts at most the dim's size).
        value: the fill of ``'constant'`` mode (default 0).

    Returns:
        A new tensor, each padded dim grown by its two amounts.

    Example::

        >>> x = ember.arange(3.0).reshape(1, 3)
        >>> pad(x, (2, 1), mode="reflect")
        tensor([[2., 1., 0., 1., 2., 1.]])
    """
    pad = tuple(int(p) for p in pad)
    ndim = input.ndim
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {ndim}"
        )
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    # pad lists the last dim first; before/after list the padded dims in order
    before, after = pad[0::2][::-1], pad[1::2][::-1]
    shape = tuple(input.shape)
    if mode == "constant":
        _check_constant(shape, before, after)
        return _ConstantPad.apply(input, before, after, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(before)
    if k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"
        )
    _check_border(mode, shape, before, after)
    plan = []
    for i, (b, a) in enumerate(zip(before, after)):
        axis = ndim - k + i
        n = shape[axis]
        if b or a:
            plan.append((axis, n, n + b + a, _runs(mode, n, b, a)))
    return _BorderPad.apply(input, tuple(plan))
