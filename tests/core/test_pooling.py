"""Pooling: max (with indices and unpooling), average, adaptive and power-average pooling in 1-d
and 2-d, against loop-by-loop numpy references written from torch's window rules; gradients
and second derivatives by finite differences; ties, NaN and -inf; torch's error messages."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)


# ------------------------------------------------------------------------------- references


def _out_size(n, k, s, p, d, ceil_mode):
    """torch's rule: ceil_mode keeps a last partial window only if it starts inside the input
    or its left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _max_pool2d_ref(x, k, s, p, d, ceil_mode=False):
    """Window maxima and flat indices, visiting a window row by row like torch's CPU kernel:
    a value replaces the maximum if larger or NaN; the index starts at the first in-bounds
    element."""
    *lead, h, w = x.shape
    oh, ow = (_out_size(n, *a, ceil_mode) for n, a in zip((h, w), zip(k, s, p, d)))
    planes = x.reshape(-1, h, w)
    y = np.zeros((len(planes), oh, ow))
    idx = np.zeros((len(planes), oh, ow), dtype=np.int64)
    for q, plane in enumerate(planes):
        for i in range(oh):
            for j in range(ow):
                best, where = -np.inf, None
                for a in range(k[0]):
                    for b in range(k[1]):
                        r, c = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + b * d[1]
                        if not (0 <= r < h and 0 <= c < w):
                            continue
                        if where is None:
                            where = r * w + c
                        v = plane[r, c]
                        if v > best or np.isnan(v):
                            best, where = v, r * w + c
                y[q, i, j], idx[q, i, j] = best, where
    return y.reshape(*lead, oh, ow), idx.reshape(*lead, oh, ow)


def _avg_pool2d_ref(x, k, s, p, ceil_mode=False, count_include_pad=True, divisor_override=None):
    *lead, h, w = x.shape
    oh, ow = (_out_size(n, *a, 1, ceil_mode) for n, a in zip((h, w), zip(k, s, p)))
    y = np.zeros((*lead, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            pool = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[..., h0:h1, w0:w1].sum(axis=(-2, -1))
            if divisor_override:
                y[..., i, j] = total / divisor_override
            elif count_include_pad:
                y[..., i, j] = total / pool
            else:
                y[..., i, j] = total / ((h1 - h0) * (w1 - w0))
    return y


def _adaptive_ref(x, out, reduce):
    *lead, h, w = x.shape
    oh, ow = out
    y = np.zeros((*lead, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = math.floor(i * h / oh), math.ceil((i + 1) * h / oh)
            w0, w1 = math.floor(j * w / ow), math.ceil((j + 1) * w / ow)
            y[..., i, j] = reduce(x[..., h0:h1, w0:w1], axis=(-2, -1))
    return y


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ------------------------------------------------------------------------------ max pooling

MAX_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "dilation": (2, 1)},
    {"kernel_size": 3, "stride": 1},  # overlapping windows: gradients accumulate
    {"kernel_size": 2, "stride": 3, "ceil_mode": True},
]


def _max_args(kwargs):
    k = _pair(kwargs["kernel_size"])
    s = _pair(kwargs.get("stride") or k)
    return k, s, _pair(kwargs.get("padding", 0)), _pair(kwargs.get("dilation", 1))


@pytest.mark.parametrize("kwargs", MAX_CASES, ids=str)
def test_max_pool2d_values_indices_and_gradient(kwargs, device):
    x = rng.standard_normal((2, 3, 7, 8))
    args = _max_args(kwargs)
    check_op(
        lambda x: F.max_pool2d(x, **kwargs, return_indices=True),
        lambda x: _max_pool2d_ref(x, *args, kwargs.get("ceil_mode", False)),
        x,
        device=device,
    )


def test_max_pool2d_on_device_unbatched_and_second_order(device):
    kwargs = {"kernel_size": 3, "stride": 2, "padding": 1}
    check_op(
        lambda x: F.max_pool2d(x, **kwargs),
        lambda x: _max_pool2d_ref(x, *_max_args(kwargs))[0],
        rng.standard_normal((3, 5, 6)),
        gradgrad=True,
        device=device,
    )


def test_max_pool_ties_nan_and_infinities(device):
    # ties: the first maximum, like torch
    x = ember.tensor([[[[1.0, 3.0, 3.0, 2.0]]]], device=device)
    y, i = F.max_pool2d(x, (1, 4), return_indices=True)
    assert y.item() == 3.0 and i.item() == 1
    # NaN propagates, pointing at the last NaN of the window
    nan = float("nan")
    x = ember.tensor([[[[nan, 1.0, nan, 2.0]]]], device=device)
    y, i = F.max_pool2d(x, (1, 4), return_indices=True)
    assert math.isnan(y.item()) and i.item() == 2
    # -inf padding never wins: an all -inf window points at its first element in the input
    x = ember.full((1, 1, 2, 3), -float("inf"), device=device)
    y, i = F.max_pool2d(x, 2, padding=1, return_indices=True)
    assert (y.cpu().numpy() == -np.inf).all()
    assert i.tolist() == [[[[0, 1], [3, 4]]]]


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = ember.tensor([[[[1.0, 3.0, 3.0, 2.0]]]], requires_grad=True)
    F.max_pool2d(x, (1, 2), stride=1).sum().backward()
    # windows (1, 3), (3, 3), (3, 2): both 3s win once
    assert x.grad.tolist() == [[[[0.0, 2.0, 1.0, 0.0]]]]


@pytest.mark.parametrize(
    "kwargs",
    [{"kernel_size": 2}, {"kernel_size": (2, 3)}, {"kernel_size": 2, "ceil_mode": True}],
    ids=str,
)
def test_max_pool_gradient_of_windows_that_tile_the_input(kwargs):
    # kernel == stride: the gradient goes through each window's tap (uint8, not flat indices),
    # to its first maximum (ties everywhere here), NaN's last; the last case's windows hang
    # over the input and take the flat indices
    def ref(x):
        return _max_pool2d_ref(x, *_max_args(kwargs), kwargs.get("ceil_mode", False))

    x = rng.integers(-2, 3, (2, 3, 7, 9)).astype(np.float32)
    x[0, 0, :2, :3] = [[np.nan, 1.0, np.nan], [2.0, np.nan, 0.0]]
    y_ref, idx = ref(x)
    g = rng.standard_normal(y_ref.shape).astype(np.float32)
    g.flat[:3] = [np.inf, -0.0, -np.inf]
    xt = ember.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, **kwargs)
    y.backward(ember.tensor(g))
    np.testing.assert_array_equal(y.detach().numpy(), y_ref.astype(np.float32))
    expected = np.zeros((6, 63), np.float32)
    np.put_along_axis(expected, idx.reshape(6, -1), g.reshape(6, -1), axis=1)
    # bit for bit: the gradient's -0.0 and infinities where they land, +0.0 elsewhere
    grad = xt.grad.numpy().reshape(6, 63)
    np.testing.assert_array_equal(grad.view(np.uint32), expected.view(np.uint32))
    # the gradient's gradient with respect to the output gradient: gathered at the maxima
    gt = ember.tensor(g, requires_grad=True)
    (gx,) = ember.autograd.grad(F.max_pool2d(xt, **kwargs), xt, gt, create_graph=True)
    w = rng.standard_normal(x.shape).astype(np.float32)
    (gg,) = ember.autograd.grad((gx * ember.tensor(w)).sum(), gt)
    picked = np.take_along_axis(w.reshape(6, -1), idx.reshape(6, -1), axis=1)
    np.testing.assert_array_equal(gg.numpy(), picked.reshape(g.shape))
    # and second order, by finite differences (ties broken)
    check_op(
        lambda x: F.max_pool2d(x, **kwargs),
        lambda x: ref(x)[0],
        rng.standard_normal((2, 3, 7, 9)),
        gradgrad=True,
    )


def test_max_pool_integers_and_float32(device):
    x = ember.tensor(np.arange(16).reshape(1, 1, 4, 4), device=device)
    y, i = F.max_pool2d(x, 2, return_indices=True)
    assert y.dtype == ember.int64 and y.tolist() == [[[[5, 7], [13, 15]]]]
    assert i.tolist() == [[[[5, 7], [13, 15]]]]
    z = F.max_pool2d(ember.randn(1, 2, 4, 4, requires_grad=True, device=device), 2)
    assert z.dtype == ember.float32


def test_max_pool1d():
    x = rng.standard_normal((2, 3, 9))
    check_op(
        lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
        lambda x: tuple(
            a[..., 0, :]
            for a in _max_pool2d_ref(x[..., None, :], (1, 3), (1, 2), (0, 1), (1, 1), True)
        ),
        x,
    )
    check_op(
        lambda x: F.max_pool1d(x, 2, dilation=2),
        lambda x: _max_pool2d_ref(x[..., None, :], (1, 2), (1, 2), (0, 0), (1, 2))[0][..., 0, :],
        x[0],
    )


# ----------------------------------------------------------------------------- unpooling


@pytest.mark.parametrize(
    "kwargs", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}], ids=str
)
def test_max_unpool2d_round_trip(kwargs, device):
    x = ember.tensor(rng.uniform(0.1, 1.0, (2, 3, 7, 8)), device=device)
    y, i = F.max_pool2d(x, **kwargs, return_indices=True)
    args = (kwargs["kernel_size"], kwargs.get("stride"), kwargs.get("padding", 0))
    u = F.max_unpool2d(y, i, *args, output_size=x.shape)
    assert u.shape == x.shape
    # every maximum is back in place, everything else is zero
    u_np, x_np = u.cpu().numpy(), x.cpu().numpy()
    kept = u_np != 0
    assert_close(u_np[kept], x_np[kept])
    assert kept.sum() == sum(len(np.unique(row)) for row in i.cpu().numpy().reshape(6, -1))
    # pooling the unpooled map gives the pooled values back (the zeros never win: x > 0)
    assert_close(F.max_pool2d(u, **kwargs), y)


def test_max_unpool2d_gradient_and_sizes():
    x = rng.standard_normal((1, 2, 5, 6))
    y, i = F.max_pool2d(ember.tensor(x), 2, return_indices=True)
    check_op(
        lambda v: F.max_unpool2d(v, i, 2, output_size=(5, 6)),
        lambda v: _unpool_ref(v, i.numpy(), (5, 6)),
        y.numpy(),
        gradgrad=True,
    )
    assert F.max_unpool2d(y, i, 2).shape == (1, 2, 4, 6)  # default size: (2 - 1) * 2 + 2
    assert F.max_unpool2d(y[0], i[0], 2, output_size=[5, 7]).shape == (2, 5, 7)
    v, j = F.max_pool1d(ember.tensor(x[0]), 2, return_indices=True)
    u = F.max_unpool1d(v, j, 2, output_size=(6,))
    assert u.shape == (2, 5, 6)
    assert_close(
        u, _unpool_ref(v.numpy()[..., None, :], j.numpy()[..., None, :], (1, 6))[..., 0, :]
    )


def _unpool_ref(v, idx, size):
    planes = v.reshape(-1, v.shape[-2] * v.shape[-1])
    where = idx.reshape(planes.shape)
    out = np.zeros((len(planes), size[0] * size[1]))
    for q in range(len(planes)):
        out[q, where[q]] = planes[q]
    return out.reshape(*v.shape[:-2], *size)


# --------------------------------------------------------------------------- average pooling

AVG_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "divisor_override": 5},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},  # the last window overhangs, unpadded
    {"kernel_size": 2, "padding": 1, "count_include_pad": False},
]


@pytest.mark.parametrize("kwargs", AVG_CASES, ids=str)
def test_avg_pool2d_matches_reference_and_gradient(kwargs):
    k = _pair(kwargs["kernel_size"])
    s, p = _pair(kwargs.get("stride") or k), _pair(kwargs.get("padding", 0))
    ref_kwargs = {
        key: kwargs[key]
        for key in ("ceil_mode", "count_include_pad", "divisor_override")
        if key in kwargs
    }
    check_op(
        lambda x: F.avg_pool2d(x, **kwargs),
        lambda x: _avg_pool2d_ref(x, k, s, p, **ref_kwargs),
        rng.standard_normal((2, 3, 7, 8)),
    )


def test_avg_pool2d_on_device_unbatched_and_second_order(device):
    check_op(
        lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda x: _avg_pool2d_ref(x, (3, 3), (2, 2), (1, 1), True, False),
        rng.standard_normal((2, 5, 6)),
        gradgrad=True,
        device=device,
    )


def test_avg_pool_integers_truncate():
    x = ember.tensor([[[[1, 2], [3, 5]]]])
    assert F.avg_pool2d(x, 2).tolist() == [[[[2]]]]


def test_avg_pool1d():
    check_op(
        lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda x: _avg_pool2d_ref(x[..., None, :], (1, 3), (1, 2), (0, 1), True, False)[..., 0, :],
        rng.standard_normal((2, 3, 8)),
    )


# -------------------------------------------------------------------------- adaptive pooling

ADAPTIVE_SIZES = [(3, 4), (7, 8), (5, 3), (1, 1), (None, 3), (10, 11), 2]


def _size(out, shape):
    out = _pair(out)
    return tuple(n if o is None else o for n, o in zip(shape[-2:], out))


@pytest.mark.parametrize("out", ADAPTIVE_SIZES, ids=str)
def test_adaptive_avg_pool2d(out):
    x = rng.standard_normal((2, 3, 7, 8))
    check_op(
        lambda x: F.adaptive_avg_pool2d(x, out),
        lambda x: _adaptive_ref(x, _size(out, x.shape), np.mean),
        x,
    )


@pytest.mark.parametrize("out", ADAPTIVE_SIZES, ids=str)
def test_adaptive_max_pool2d(out):
    x = rng.standard_normal((2, 3, 7, 8))
    size = _size(out, x.shape)
    y, i = F.adaptive_max_pool2d(ember.tensor(x), out, return_indices=True)
    assert_close(y, _adaptive_ref(x, size, np.max))
    # the indices point at the maxima
    flat = x.reshape(6, -1)
    assert_close(np.take_along_axis(flat, i.numpy().reshape(6, -1), 1).reshape(y.shape), y.numpy())
    check_op(lambda x: F.adaptive_max_pool2d(x, out), lambda x: _adaptive_ref(x, size, np.max), x)


def test_adaptive_pools_on_device_and_second_order(device):
    x = rng.standard_normal((3, 5, 7))
    for name, reduce in (("adaptive_avg_pool2d", np.mean), ("adaptive_max_pool2d", np.max)):
        check_op(
            lambda x, name=name: getattr(F, name)(x, (2, 3)),
            lambda x, reduce=reduce: _adaptive_ref(x, (2, 3), reduce),
            x,
            gradgrad=True,
            device=device,
        )


def test_adaptive_identity_is_a_copy():
    x = ember.randn(1, 2, 7, 7)
    y = F.adaptive_avg_pool2d(x, 7)
    assert_close(y, x)
    y.add_(1.0)
    assert not np.allclose(y.numpy(), x.numpy())


def test_adaptive_1d():
    x = rng.standard_normal((2, 3, 9))
    check_op(
        lambda x: F.adaptive_avg_pool1d(x, 4),
        lambda x: _adaptive_ref(x[..., None, :], (1, 4), np.mean)[..., 0, :],
        x,
    )
    check_op(
        lambda x: F.adaptive_max_pool1d(x, [4]),
        lambda x: _adaptive_ref(x[..., None, :], (1, 4), np.max)[..., 0, :],
        x[0],
    )
    assert F.adaptive_max_pool1d(ember.tensor(x), 4, return_indices=True)[1].shape == (2, 3, 4)


# ---------------------------------------------------------------------------- power average


def test_lp_pool():
    x = np.abs(rng.standard_normal((2, 3, 6, 7))) + 0.1
    check_op(
        lambda x: F.lp_pool2d(x, 2, 3, 2),
        lambda x: np.sqrt(_avg_pool2d_ref(x**2, (3, 3), (2, 2), (0, 0)) * 9),
        x,
    )
    check_op(
        lambda x: F.lp_pool1d(x, 3, 2),
        lambda x: np.cbrt(_avg_pool2d_ref(x[..., None, :] ** 3, (1, 2), (1, 2), (0, 0)) * 2)[
            ..., 0, :
        ],
        x[0],
    )


# ----------------------------------------------------------------------------------- errors


def _t(*shape, dtype=ember.float32):
    return ember.zeros(*shape, dtype=dtype)


ERRORS = [
    (
        lambda: F.max_pool2d(_t(5, 5), 2),
        "non-empty 3D or 4D (batch mode) tensor expected for input",
    ),
    (
        lambda: F.max_pool2d(_t(1, 2, 0, 5), 2),
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
        "got:[1, 2, 0, 5]",
    ),
    (lambda: F.max_pool2d(_t(1, 2, 5, 5), 2, 0), "stride should not be zero"),
    (
        lambda: F.max_pool2d(_t(1, 2, 5, 5), 2, padding=2),
        "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
        "dilation=1",
    ),
    (
        lambda: F.max_pool2d(_t(1, 2, 5, 5), 2, padding=-1),
        "pad must be non-negative, but got pad: -1",
    ),
    (
        lambda: F.max_pool2d(_t(1, 2, 5, 5), 2, dilation=0),
        "dilation should be greater than zero, but got dilationH: 0 dilationW: 0",
    ),
    (
        lambda: F.max_pool2d(_t(1, 2, 5, 5), (2, 2, 2)),
        "max_pool2d: kernel_size must either be a single int, or a tuple of two ints",
    ),
    (
        lambda: F.max_pool2d(_t(1, 2, 5, 5), 7),
        "Given input size: (2x5x5). Calculated output size: (2x0x0). Output size is too small",
    ),
    (
        lambda: F.max_pool1d(_t(5), 2),
        "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
        "input, but got:[5]",
    ),
    (lambda: F.max_pool1d(_t(1, 5), 7), "max_pool1d() Invalid computed output size: 0"),
    (
        lambda: F.max_pool1d(_t(1, 1, 5), 2, padding=2),
        "max_pool1d() padding should be at most half of kernel size, but got padding=2 and "
        "kernel_size=2",
    ),
    (
        lambda: F.avg_pool2d(_t(1, 2, 5, 5), (2, 2, 2)),
        "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints",
    ),
    (lambda: F.avg_pool2d(_t(1, 2, 5, 5), 2, divisor_override=0), "divisor must be not zero"),
    (
        lambda: F.avg_pool1d(_t(1, 2, 5, 5), 2),
        "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while "
        "checking arguments for avg_pool1d)",
    ),
    (
        lambda: F.adaptive_avg_pool2d(_t(5, 5), 2),
        "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [5, 5]",
    ),
    (
        lambda: F.adaptive_max_pool2d(_t(5, 5), 2),
        "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [5, 5]",
    ),
    (
        lambda: F.adaptive_avg_pool2d(_t(1, 2, 0, 5), 2),
        "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
        "but input has sizes [1, 2, 0, 5] with dimension 2 being empty",
    ),
    (
        lambda: F.adaptive_avg_pool2d(_t(1, 2, 5, 5), -1),
        "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
        "received {-1, -1}",
    ),
    (
        lambda: F.adaptive_avg_pool1d(_t(1, 1, 5), (2, 2)),
        "adaptive_avg_pool1d() argument 'output_size' should contain one int (got 2)",
    ),
    (
        lambda: F.max_unpool2d(_t(5, 5), _t(5, 5, dtype=ember.int64), 2),
        "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 2 dimensions.",
    ),
    (
        lambda: F.max_unpool2d(_t(1, 1, 2, 2), _t(1, 1, 2, 2), 2),
        "elements in indices should be type int64 but got: Float",
    ),
    (
        lambda: F.max_unpool2d(_t(1, 1, 2, 2), _t(1, 1, 2, 3, dtype=ember.int64), 2),
        "Expected shape of indices to be same as that of the input tensor ([1, 1, 2, 2]) but got "
        "indices tensor with shape: [1, 1, 2, 3]",
    ),
    (
        lambda: F.max_unpool2d(_t(1, 1, 2, 2), ember.full((1, 1, 2, 2), 99), 2),
        "Found an invalid max index: 99 (output volumes are of size 4x4)",
    ),
]


@pytest.mark.parametrize(("call", "message"), ERRORS, ids=range(len(ERRORS)))
def test_errors_as_torch(call, message):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == message


def test_other_error_types():
    with pytest.raises(
        NotImplementedError, match="\"adaptive_avg_pool2d\" not implemented for 'Long'"
    ):
        F.adaptive_avg_pool2d(_t(1, 2, 5, 5, dtype=ember.int64), 2)
    y, i = F.max_pool2d(_t(1, 1, 5, 5), 2, return_indices=True)
    with pytest.raises(
        ValueError, match=r'invalid output_size "\(9, 9\)" \(dim 0 must be between 2 and 6\)'
    ):
        F.max_unpool2d(y, i, 2, output_size=(9, 9))
    with pytest.raises(
        ValueError,
        match="should be a sequence containing 2 or 4 elements, but it has a length of '3'",
    ):
        F.max_unpool2d(y, i, 2, output_size=(1, 5, 5))


def test_disjoint_windows_are_detected_for_the_assignment_fast_path():
    from ember.ops.pooling import _Windows

    assert _Windows.regular((2, 2), (2, 2), (0, 0), (1, 1), (3, 3)).disjoint
    assert not _Windows.regular((3, 3), (2, 2), (1, 1), (1, 1), (3, 3)).disjoint
    assert not _Windows.regular((2, 2), (2, 2), (0, 0), (2, 2), (2, 2)).disjoint
    # 2x2/2 pooling of a plane with a repeated maximum: each window's gradient lands once
    x = ember.tensor([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0]]]], requires_grad=True)
    ember.nn.functional.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]]]
