"""Convolutions, transposed convolutions and unfold/fold: forward against loop-by-loop numpy
references, gradients (and second derivatives) by finite differences, the blocked GEMM path,
dtypes, and torch's error messages."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradgradcheck
from ember.ops import conv as conv_module
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)


# ------------------------------------------------------------------------------- references


def _conv2d_ref(x, w, b=None, stride=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
    """Direct definition: every output is a dot product of a window with a filter."""
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    n, _, h, wd = xp.shape
    oc, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, oc, oh, ow), dtype=np.result_type(x, w))
    per_group = oc // groups
    for i in range(n):
        for o in range(oc):
            g = o // per_group
            for r in range(oh):
                for s in range(ow):
                    window = xp[
                        i,
                        g * cg : (g + 1) * cg,
                        r * sh : r * sh + dh * (kh - 1) + 1 : dh,
                        s * sw : s * sw + dw * (kw - 1) + 1 : dw,
                    ]
                    y[i, o, r, s] = (window * w[o]).sum() + (0 if b is None else b[o])
    return y


def _conv_transpose2d_ref(
    x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1
):
    """Direct definition: every input pixel adds its weighted kernel into the output."""
    n, cin, h, wd = x.shape
    _, ocg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    full = np.zeros(
        (
            n,
            ocg * groups,
            (h - 1) * sh + dh * (kh - 1) + 1 + output_padding[0],
            (wd - 1) * sw + dw * (kw - 1) + 1 + output_padding[1],
        )
    )
    per_group = cin // groups
    for i in range(n):
        for c in range(cin):
            g = c // per_group
            for r in range(h):
                for s in range(wd):
                    for a in range(kh):
                        for e in range(kw):
                            full[i, g * ocg : (g + 1) * ocg, r * sh + a * dh, s * sw + e * dw] += (
                                x[i, c, r, s] * w[c, :, a, e]
                            )
    oh = (h - 1) * sh - 2 * padding[0] + dh * (kh - 1) + output_padding[0] + 1
    ow = (wd - 1) * sw - 2 * padding[1] + dw * (kw - 1) + output_padding[1] + 1
    y = full[:, :, padding[0] : padding[0] + oh, padding[1] : padding[1] + ow]
    return y if b is None else y + b[:, None, None]


def _unfold_ref(x, kernel, dilation, padding, stride):
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, w = xp.shape
    oh = (h - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    cols = np.zeros((n, c, kernel[0], kernel[1], oh, ow))
    for a in range(kernel[0]):
        for e in range(kernel[1]):
            for r in range(oh):
                for s in range(ow):
                    cols[:, :, a, e, r, s] = xp[
                        :, :, r * stride[0] + a * dilation[0], s * stride[1] + e * dilation[1]
                    ]
    return cols.reshape(n, -1, oh * ow)


def _fold_ref(cols, size, kernel, dilation, padding, stride):
    n = cols.shape[0]
    c = cols.shape[1] // (kernel[0] * kernel[1])
    h, w = size[0] + 2 * padding[0], size[1] + 2 * padding[1]
    oh = (h - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    cols = cols.reshape(n, c, kernel[0], kernel[1], oh, ow)
    out = np.zeros((n, c, h, w))
    for a in range(kernel[0]):
        for e in range(kernel[1]):
            for r in range(oh):
                for s in range(ow):
                    out[:, :, r * stride[0] + a * dilation[0], s * stride[1] + e * dilation[1]] += (
                        cols[:, :, a, e, r, s]
                    )
    return out[:, :, padding[0] : padding[0] + size[0], padding[1] : padding[1] + size[1]]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ----------------------------------------------------------------------------------- conv2d

CONV2D_CASES = [
    # x shape, weight shape, kwargs
    ((2, 3, 5, 6), (4, 3, 3, 3), {}),
    ((1, 2, 7, 6), (3, 2, 3, 2), {"stride": 2, "padding": 1}),
    ((1, 4, 6, 7), (6, 2, 3, 3), {"stride": (2, 1), "padding": (1, 2), "groups": 2}),
    ((1, 2, 7, 7), (2, 2, 3, 2), {"dilation": (2, 1), "padding": (2, 0)}),
    ((2, 4, 5, 5), (4, 1, 3, 3), {"groups": 4, "padding": 1}),  # depthwise
    ((1, 3, 4, 5), (2, 3, 1, 1), {"stride": 2}),  # 1x1, a plain GEMM
    # more output channels than patch rows: the weight gradient's other GEMM orientation
    ((2, 1, 6, 5), (5, 1, 2, 2), {}),
]


@pytest.mark.parametrize(("xs", "ws", "kwargs"), CONV2D_CASES, ids=str)
def test_conv2d_matches_reference_and_gradients(xs, ws, kwargs, device):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    p = _pair(kwargs.get("padding", 0))
    ref_kwargs = {
        "stride": _pair(kwargs.get("stride", 1)),
        "pads": ((p[0], p[0]), (p[1], p[1])),
        "dilation": _pair(kwargs.get("dilation", 1)),
        "groups": kwargs.get("groups", 1),
    }
    check_op(
        lambda x, w, b: F.conv2d(x, w, b, **kwargs),
        lambda x, w, b: _conv2d_ref(x, w, b, **ref_kwargs),
        x,
        w,
        b,
        device=device,
    )
    check_op(
        lambda x, w: F.conv2d(x, w, **kwargs),
        lambda x, w: _conv2d_ref(x, w, **ref_kwargs),
        x,
        w,
        grad=False,
        device=device,
    )


def test_conv2d_on_device(device):
    x, w, b = (
        rng.standard_normal((2, 4, 6, 5)),
        rng.standard_normal((4, 2, 3, 2)),
        rng.standard_normal(4),
    )
    kwargs = {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}
    check_op(
        lambda x, w, b: F.conv2d(x, w, b, **kwargs),
        lambda x, w, b: _conv2d_ref(
            x, w, b, stride=(2, 1), pads=((1, 1), (1, 1)), dilation=(1, 2), groups=2
        ),
        x,
        w,
        b,
        device=device,
    )


@pytest.mark.parametrize(
    ("ws", "dilation"), [((2, 3, 3, 3), 1), ((2, 3, 2, 4), 1), ((2, 3, 2, 3), (2, 3))], ids=str
)
def test_conv2d_same_padding(ws, dilation):
    # torch pads total = dilation * (k - 1), the odd element after the input
    x, w = rng.standard_normal((1, 3, 5, 6)), rng.standard_normal(ws)
    d = _pair(dilation)
    pads = []
    for k, dd in zip(ws[2:], d):
        total = dd * (k - 1)
        pads.append((total // 2, total - total // 2))
    check_op(
        lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation),
        lambda x, w: _conv2d_ref(x, w, pads=tuple(pads), dilation=d),
        x,
        w,
    )
    assert F.conv2d(ember.tensor(x), ember.tensor(w), padding="same", dilation=dilation).shape == (
        1,
        2,
        5,
        6,
    )


def test_conv2d_valid_padding_and_unbatched():
    x, w, b = (
        rng.standard_normal((3, 6, 5)),
        rng.standard_normal((2, 3, 2, 2)),
        rng.standard_normal(2),
    )
    check_op(
        lambda x, w, b: F.conv2d(x, w, b, padding="valid", stride=2),
        lambda x, w, b: _conv2d_ref(x[None], w, b, stride=(2, 2))[0],
        x,
        w,
        b,
    )


def test_conv2d_second_order(device):
    x = ember.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True, device=device)
    w = ember.tensor(rng.standard_normal((4, 1, 2, 3)), requires_grad=True, device=device)
    b = ember.tensor(rng.standard_normal(4), requires_grad=True, device=device)
    assert gradgradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=2), (x, w, b)
    )


def test_blocked_gemm_matches_one_block(monkeypatch):
    # Tiny budgets force blocks of single rows and of several images; results must not change.
    x = rng.standard_normal((3, 2, 6, 5)).astype(np.float32)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((3, 4, 3, 5)).astype(np.float32)
    kwargs = {"stride": (2, 1), "padding": 1}

    def run():
        xt = ember.tensor(x, requires_grad=True)
        wt = ember.tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt, **kwargs)
        y.backward(ember.tensor(gy))
        return y, xt.grad, wt.grad

    expected = run()
    # the forward's 3 output rows of 2 * 3 * 3 patch values by 5 columns, 360 bytes each; images
    # go side by side until the GEMM has _MIN_BLOCK_COLUMNS columns (30: two images of 15)
    for min_columns, budget, blocks in [(1, 1, 9), (1, 720, 6), (30, 2160, 2)]:
        monkeypatch.setattr(conv_module, "_MIN_BLOCK_COLUMNS", min_columns)
        monkeypatch.setattr(conv_module, "_CPU_BLOCK_BYTES", budget)
        assert len(conv_module._blocks(np, 3, 3, 360, 5)) == blocks
        for got, want in zip(run(), expected):
            assert_close(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding": (2, 1), "dilation": (1, 2)}, {"groups": 2, "padding": "same"}],
    ids=str,
)
def test_batch_last_matches_batch_first(monkeypatch, kwargs):
    # Small stride-1 convolutions run on the batch as the fastest index of one wide image;
    # forward and both gradients must equal the per-image layout's.
    x = rng.standard_normal((3, 4, 6, 5))
    w = rng.standard_normal((6, 4 // kwargs.get("groups", 1), 3, 2))
    gy = rng.standard_normal(F.conv2d(ember.tensor(x), ember.tensor(w), **kwargs).shape)

    def run(max_width):
        monkeypatch.setattr(conv_module, "_BATCH_LAST_MAX_WIDTH", max_width)
        xt = ember.tensor(x, requires_grad=True)
        wt = ember.tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt, **kwargs)
        y.backward(ember.tensor(gy))
        return y, xt.grad, wt.grad

    calls = []
    batch_last = conv_module._batch_last
    monkeypatch.setattr(
        conv_module, "_batch_last", lambda a: calls.append(a.shape) or batch_last(a)
    )
    expected = run(0)
    assert not calls
    for got, want in zip(run(16), expected):
        assert_close(got, want, rtol=1e-12, atol=1e-12)
    assert len(calls) >= 3  # forward, weight gradient and input gradient


def test_batch_last_only_while_a_row_of_patches_fits_a_block():
    # one output row of a 3x3 convolution's patches over the whole batch: C * 9 * OW * N floats
    geom = conv_module.Geometry((1, 1), (1, 1), (1, 1), 1)
    budget = conv_module._CPU_BLOCK_BYTES
    for n, fits in ((8, True), (256, False)):  # VGG-11 train's 512 x 8 x 8 layers, batch 8
        batch = np.broadcast_to(np.float32(0), (n, 512, 8, 8))  # a shape, no memory
        assert (512 * 9 * 8 * n * 4 <= budget) is fits
        assert conv_module._batch_last_pays(batch, 512, (3, 3), geom, (8, 8)) is fits


@pytest.mark.parametrize("xs", [(3, 2, 6, 5), (2, 2, 20, 40)], ids=str)  # batch-last, not
def test_weight_gradient_reuses_the_forward_patches(monkeypatch, xs):
    x = rng.standard_normal(xs)
    w = rng.standard_normal((4, 2, 3, 3))
    gy = rng.standard_normal(F.conv2d(ember.tensor(x), ember.tensor(w), padding=1).shape)
    made = []
    patch_blocks = conv_module._patch_blocks
    monkeypatch.setattr(
        conv_module, "_patch_blocks", lambda *a: made.append(a[0].shape) or patch_blocks(*a)
    )

    def weight_grad(keep_bytes):
        monkeypatch.setattr(conv_module, "_KEEP_PATCHES_BYTES", keep_bytes)
        made.clear()
        wt = ember.tensor(w, requires_grad=True)
        F.conv2d(ember.tensor(x), wt, padding=1).backward(ember.tensor(gy))
        return wt.grad, len(made)

    (expected, made_twice), (got, made_once) = weight_grad(0), weight_grad(1 << 20)
    assert (made_twice, made_once) == (2, 1)
    assert_close(got, expected, rtol=0, atol=0)


def test_kept_patches_serve_one_backward_and_a_retained_graph_still_works():
    x = ember.tensor(rng.standard_normal((3, 2, 6, 5)))
    w = ember.tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    node = y.grad_fn
    y.sum().backward(retain_graph=True)
    first = w.grad.clone()
    assert node.patches is None  # let go after the first backward
    y.sum().backward()
    assert_close(w.grad, 2 * first, rtol=1e-12, atol=1e-12)


def test_conv2d_keeps_float32_and_empty_batch():
    x = ember.randn(2, 3, 6, 6)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    b = ember.randn(4, requires_grad=True)
    y = F.conv2d(x, w, b)
    assert y.dtype == ember.float32
    y.sum().backward()
    assert w.grad.dtype == ember.float32 and b.grad.dtype == ember.float32
    assert_close(b.grad, np.full(4, 2 * 4 * 4, dtype=np.float32))
    assert F.conv2d(ember.randn(0, 3, 6, 6), w).shape == (0, 4, 4, 4)


def test_conv2d_integers_exact():
    x = np.arange(2 * 5 * 5).reshape(1, 2, 5, 5)
    w = np.arange(3 * 2 * 2 * 2).reshape(3, 2, 2, 2) - 10
    y = F.conv2d(ember.tensor(x), ember.tensor(w), stride=2)
    assert y.dtype == ember.int64
    assert np.array_equal(y.numpy(), _conv2d_ref(x, w, stride=(2, 2)))


# ----------------------------------------------------------------------------------- conv1d


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}, {"padding": "same"}],
    ids=str,
)
def test_conv1d(kwargs):
    x, w, b = (
        rng.standard_normal((2, 4, 9)),
        rng.standard_normal((6, 4 // kwargs.get("groups", 1), 4)),
        rng.standard_normal(6),
    )
    if kwargs.get("padding") == "same":
        pads = ((0, 0), (1, 2))  # total 3: one before, two after
    else:
        p = kwargs.get("padding", 0)
        pads = ((0, 0), (p, p))

    def ref(x, w, b):
        y = _conv2d_ref(
            x[:, :, None],
            w[:, :, None],
            b,
            stride=(1, kwargs.get("stride", 1)),
            pads=pads,
            dilation=(1, kwargs.get("dilation", 1)),
            groups=kwargs.get("groups", 1),
        )
        return y[:, :, 0]

    check_op(lambda x, w, b: F.conv1d(x, w, b, **kwargs), ref, x, w, b)
    # unbatched
    check_op(
        lambda x, w, b: F.conv1d(x, w, b, **kwargs),
        lambda x, w, b: ref(x[None], w, b)[0],
        x[0],
        w,
        b,
        grad=False,
    )


# ------------------------------------------------------------------------- conv_transpose2d

TRANSPOSE_CASES = [
    ((1, 3, 3, 4), (3, 2, 3, 3), {}),
    ((2, 2, 3, 3), (2, 3, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 4, 3, 2), (4, 1, 2, 3), {"stride": (3, 2), "output_padding": (2, 0), "groups": 2}),
    ((1, 2, 3, 3), (2, 2, 3, 3), {"dilation": 2, "padding": (2, 1), "output_padding": 1}),
    ((2, 2, 3, 3), (2, 2, 3, 3), {"dilation": 2, "padding": (2, 1), "output_padding": 1}),
    ((2, 2, 3, 3), (2, 2, 3, 3), {"dilation": 2, "output_padding": 1}),  # beyond the reach
    ((1, 2, 5, 4), (2, 3, 3, 2), {"padding": (2, 1)}),  # padding beyond the kernel: crops
    ((3, 2, 5, 4), (2, 3, 3, 2), {"padding": (2, 1)}),
]


@pytest.mark.parametrize(("xs", "ws", "kwargs"), TRANSPOSE_CASES, ids=str)
def test_conv_transpose2d_matches_reference_and_gradients(xs, ws, kwargs, device):
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kwargs.get("groups", 1))
    ref_kwargs = {
        "stride": _pair(kwargs.get("stride", 1)),
        "padding": _pair(kwargs.get("padding", 0)),
        "output_padding": _pair(kwargs.get("output_padding", 0)),
        "dilation": _pair(kwargs.get("dilation", 1)),
        "groups": kwargs.get("groups", 1),
    }
    check_op(
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs),
        lambda x, w, b: _conv_transpose2d_ref(x, w, b, **ref_kwargs),
        x,
        w,
        b,
        device=device,
    )


def test_conv_transpose2d_on_device_and_second_order(device):
    x, w, b = (
        rng.standard_normal((1, 4, 3, 3)),
        rng.standard_normal((4, 1, 2, 3)),
        rng.standard_normal(2),
    )
    kwargs = {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}
    check_op(
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs),
        lambda x, w, b: _conv_transpose2d_ref(
            x, w, b, stride=(2, 2), padding=(1, 1), output_padding=(1, 1), groups=2
        ),
        x,
        w,
        b,
        gradgrad=True,
        device=device,
    )


def test_conv_transpose_is_the_input_gradient_of_conv():
    # <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for matching geometry
    x, w = (
        ember.randn(2, 3, 7, 6, dtype=ember.float64),
        ember.randn(4, 3, 3, 2, dtype=ember.float64),
    )
    kwargs = {"stride": 2, "padding": (1, 0), "dilation": (1, 2)}
    y = ember.randn(*F.conv2d(x, w, **kwargs).shape, dtype=ember.float64)
    back = F.conv_transpose2d(y, w, output_padding=(0, 1), **kwargs)
    assert back.shape == x.shape
    assert_close((F.conv2d(x, w, **kwargs) * y).sum(), (x * back).sum())


def test_conv_transpose1d_unbatched():
    x, w = rng.standard_normal((4, 5)), rng.standard_normal((4, 3, 3))

    def ref(x, w):
        y = _conv_transpose2d_ref(
            x[None, :, None], w[:, :, None], stride=(1, 2), output_padding=(0, 1)
        )
        return y[0, :, 0]

    check_op(lambda x, w: F.conv_transpose1d(x, w, stride=2, output_padding=1), ref, x, w)


# ------------------------------------------------------------------------------ unfold/fold


@pytest.mark.parametrize(
    ("kernel", "dilation", "padding", "stride"),
    [(2, 1, 0, 1), ((2, 3), (2, 1), 1, (1, 2)), (3, 1, 1, 2)],
    ids=str,
)
def test_unfold_and_fold(kernel, dilation, padding, stride):
    k, d, p, s = (_pair(v) for v in (kernel, dilation, padding, stride))
    x = rng.standard_normal((2, 3, 6, 7))
    check_op(
        lambda x: F.unfold(x, kernel, dilation, padding, stride),
        lambda x: _unfold_ref(x, k, d, p, s),
        x,
    )
    cols = _unfold_ref(x, k, d, p, s)
    check_op(
        lambda c: F.fold(c, (6, 7), kernel, dilation, padding, stride),
        lambda c: _fold_ref(c, (6, 7), k, d, p, s),
        rng.standard_normal(cols.shape),
    )


def test_unfold_fold_unbatched_and_second_order(device):
    x = rng.standard_normal((2, 4, 5))
    check_op(
        lambda x: F.fold(F.unfold(x, 2, padding=1), (4, 5), 2, padding=1),
        lambda x: _fold_ref(
            _unfold_ref(x[None], (2, 2), (1, 1), (1, 1), (1, 1)),
            (4, 5),
            (2, 2),
            (1, 1),
            (1, 1),
            (1, 1),
        )[0],
        x,
        gradgrad=True,
        device=device,
    )


# ----------------------------------------------------------------------------------- errors


def _t(*shape, dtype=ember.float32):
    return ember.zeros(*shape, dtype=dtype)


ERRORS = [
    (
        lambda: F.conv2d(_t(1, 2, 5, 5), _t(4, 3, 3, 3)),
        "Given groups=1, weight of size [4, 3, 3, 3], expected input[1, 2, 5, 5] to have 3 "
        "channels, but got 2 channels instead",
    ),
    (
        lambda: F.conv2d(_t(2, 5, 5), _t(4, 3, 3, 3)),
        "Given groups=1, weight of size [4, 3, 3, 3], expected input[1, 2, 5, 5] to have 3 "
        "channels, but got 2 channels instead",
    ),
    (
        lambda: F.conv2d(_t(2, 3), _t(4, 3, 3, 3)),
        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]",
    ),
    (
        lambda: F.conv1d(_t(5), _t(3, 4, 3)),
        "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [5]",
    ),
    (
        lambda: F.conv1d(_t(1, 4, 5), _t(3, 4, 3, 3)),
        "Expected 4-dimensional input for 4-dimensional weight [3, 4, 3, 3], but got "
        "3-dimensional input of size [1, 4, 5] instead",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), stride=2, padding="same"),
        "padding='same' is not supported for strided convolutions",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), padding="full"),
        "Invalid padding string: 'full'",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 2, 2), _t(4, 3, 3, 3)),
        "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size "
        "can't be greater than actual input size",
    ),
    (
        lambda: F.conv2d(_t(1, 2, 5, 5), _t(3, 1, 3, 3), groups=2),
        "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of "
        "size [[3, 1, 3, 3]] instead",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), _t(3)),
        "Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, "
        "but got bias of size [3] instead",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), stride=0),
        "non-positive stride is not supported",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), padding=-1),
        "negative padding is not supported",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), dilation=0),
        "dilation should be greater than zero, but got [0, 0]",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), groups=0),
        "non-positive groups is not supported",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), stride=(1, 2, 3)),
        "expected stride to be a single integer value or a list of 2 values to match the "
        "convolution dimensions, but got stride=[1, 2, 3]",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3, dtype=ember.float64)),
        "expected scalar type Float but found Double",
    ),
    (
        lambda: F.conv2d(_t(1, 3, 5, 5), _t(4, 3, 3, 3), _t(4, dtype=ember.float64)),
        "Input type (float) and bias type (double) should be the same",
    ),
    (
        lambda: F.conv_transpose2d(_t(1, 2, 5, 5), _t(3, 4, 3, 3)),
        "Given transposed=1, weight of size [3, 4, 3, 3], expected input[1, 2, 5, 5] to have 3 "
        "channels, but got 2 channels instead",
    ),
    (
        lambda: F.conv_transpose2d(_t(1, 3, 5, 5), _t(3, 4, 3, 3), output_padding=1),
        "output padding must be smaller than either stride or dilation, but got "
        "output_padding_height: 1 output_padding_width: 1 stride_height: 1 stride_width: 1 "
        "dilation_height: 1 dilation_width: 1",
    ),
    (
        lambda: F.conv_transpose2d(_t(1, 3, 5, 5), _t(3, 4, 3, 3), _t(3)),
        "Given transposed=1, weight of size [3, 4, 3, 3], expected bias to be 1-dimensional with "
        "4 elements, but got bias of size [3] instead",
    ),
    (
        lambda: F.conv_transpose2d(_t(1, 3, 1, 1), _t(3, 4, 1, 1), padding=1),
        "Given input size per channel: (1 x 1). Calculated output size per channel: (-1 x -1). "
        "Output size is too small",
    ),
    (
        lambda: F.unfold(_t(1, 2, 5, 6), 7),
        "Given input with spatial size (5, 6), kernel_size=(7, 7), dilation=(1, 1), "
        "padding=(0, 0), calculated shape of the array of sliding blocks as (-1, 0), but its "
        "components must be at least one.",
    ),
    (
        lambda: F.unfold(_t(1, 2, 5, 6), 2, stride=0),
        "stride should be greater than zero, but got stride_height: 0 stride_width: 0",
    ),
    (
        lambda: F.unfold(_t(1, 2, 5, 6), (1, 2, 3)),
        "It is expected kernel_size equals to 2, but got size 3",
    ),
    (
        lambda: F.fold(_t(1, 7, 20), (5, 6), 2),
        "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
        "got input.size(1)=7 and kernel_size=(2, 2).",
    ),
    (
        lambda: F.fold(_t(1, 8, 21), (5, 6), 2),
        "Given output_size=(5, 6), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), "
        "stride=(1, 1), expected size of input's dimension 2 to match the calculated number of "
        "sliding blocks 4 * 5 = 20, but got input.size(2)=21.",
    ),
    (
        lambda: F.fold(_t(8), (5, 6), 2),
        "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
        "dimensions for input, but got: [8]",
    ),
]


@pytest.mark.parametrize(("call", "message"), ERRORS, ids=range(len(ERRORS)))
def test_errors_as_torch(call, message):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == message


def test_transposed_padding_string_is_a_type_error():
    with pytest.raises(TypeError, match="argument 'padding' must be tuple of ints, not str"):
        F.conv_transpose2d(_t(1, 3, 5, 5), _t(3, 4, 3, 3), padding="same")
