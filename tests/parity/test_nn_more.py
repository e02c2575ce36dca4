"""Side by side with torch: 3-d convolutions (all padding modes), transposed 3-d convolutions,
3-d max / average / adaptive / power-average pooling, max unpooling and the ``*_with_indices``
functions: values, input gradients and errors over a grid of arguments."""

import itertools

import numpy as np
import pytest

CONV = [
    # in, out, groups, kernel, stride, padding, dilation
    (2, 4, 1, 3, 1, 1, 1),
    (4, 6, 2, (2, 3, 1), (2, 1, 2), (1, 0, 0), (1, 2, 1)),
    (3, 3, 3, (1, 2, 2), 1, "same", (2, 1, 1)),
    (2, 2, 1, (2, 2, 3), (1, 2, 1), "valid", 1),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("cin, cout, groups, kernel, stride, padding, dilation", CONV)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d(parity, cin, cout, groups, kernel, stride, padding, dilation, bias):
    k = kernel if isinstance(kernel, tuple) else (kernel,) * 3
    x = parity.randn(2, cin, 6, 5, 7)
    w = parity.randn(cout, cin // groups, *k)
    b = parity.randn(cout) if bias else None
    parity.check(
        lambda fw, x, w, b: fw.nn.functional.conv3d(x, w, b, stride, padding, dilation, groups),
        x,
        w,
        b,
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (1, 0, 2), "same"])
def test_conv3d_module_padding_modes(parity, mode, padding):
    x = parity.randn(2, 3, 5, 4, 6)
    w = parity.randn(2, 3, 3, 1, 3)
    b = parity.randn(2)

    def run(fw, x, w, b):
        conv = fw.nn.Conv3d(3, 2, (3, 1, 3), padding=padding, padding_mode=mode)
        with fw.no_grad():
            conv.weight.copy_(w)
            conv.bias.copy_(b)
        return conv(x)

    parity.check(run, x, w, b, grad=(0,), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cin, cout, groups, kernel, stride, padding, dilation", CONV)
@pytest.mark.parametrize("unbatched", [False, True])
def test_conv_transpose3d(parity, cin, cout, groups, kernel, stride, padding, dilation, unbatched):
    if isinstance(padding, str):
        padding = 1
    k = kernel if isinstance(kernel, tuple) else (kernel,) * 3
    s = stride if isinstance(stride, tuple) else (stride,) * 3
    d = dilation if isinstance(dilation, tuple) else (dilation,) * 3
    output_padding = tuple(max(a, b) - 1 for a, b in zip(s, d))
    x = parity.randn(*(() if unbatched else (2,)), cin, 3, 4, 3)
    w = parity.randn(cin, cout // groups, *k)
    b = parity.randn(cout)
    parity.check(
        lambda fw, x, w, b: fw.nn.functional.conv_transpose3d(
            x, w, b, stride, padding, output_padding, groups, dilation
        ),
        x,
        w,
        b,
        rtol=1e-4,
        atol=1e-5,
    )


def test_conv_transpose3d_module_output_size(parity):
    x = parity.randn(1, 4, 3, 3, 3)
    w = parity.randn(4, 2, 3, 3, 3)

    def run(fw, x, w):
        up = fw.nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, bias=False)
        with fw.no_grad():
            up.weight.copy_(w)
        return up(x, output_size=(6, 5, 6))

    parity.check(run, x, w, grad=(0,), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "call",
    [
        lambda fw, x: fw.nn.functional.conv3d(x, fw.ones(2, 2, 5, 5, 5)),
        lambda fw, x: fw.nn.functional.conv3d(x, fw.ones(2, 3, 1, 1, 1)),
        lambda fw, x: fw.nn.functional.conv3d(x[0, 0], fw.ones(2, 2, 1, 1, 1)),
        lambda fw, x: fw.nn.functional.conv3d(x, fw.ones(2, 2, 2, 2, 2), stride=2, padding="same"),
        lambda fw, x: fw.nn.functional.conv_transpose3d(
            x, fw.ones(2, 2, 2, 2, 2), stride=2, output_padding=(2, 0, 0)
        ),
        lambda fw, x: fw.nn.functional.conv_transpose3d(
            x, fw.ones(2, 2, 2, 2, 2), dilation=(0, 1, 1)
        ),
    ],
)
def test_conv3d_errors(parity, call):
    error = parity.raises(call, parity.randn(1, 2, 4, 4, 4))
    assert str(error)


POOL = [
    # kernel, stride, padding, dilation, ceil_mode
    (2, None, 0, 1, False),
    ((3, 2, 3), (2, 1, 2), (1, 1, 1), (1, 2, 1), True),
    ((2, 3, 2), (1, 2, 3), (0, 1, 1), (2, 1, 1), True),
    (3, 2, 1, 1, False),
]


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", POOL)
@pytest.mark.parametrize("unbatched", [False, True])
def test_max_pool3d(parity, kernel, stride, padding, dilation, ceil_mode, unbatched):
    x = parity.randn(*(() if unbatched else (2,)), 3, 6, 5, 7)
    parity.check(
        lambda fw, x: fw.nn.functional.max_pool3d(
            x, kernel, stride, padding, dilation, ceil_mode, return_indices=True
        ),
        x,
    )
    parity.check(
        lambda fw, x: fw.nn.functional.max_pool3d_with_indices(
            x, kernel, stride, padding, dilation, ceil_mode
        ),
        x,
    )
    parity.check(
        lambda fw, x: fw.nn.MaxPool3d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)(x),
        x,
    )


def test_max_pool3d_nan_and_ties(parity):
    x = np.zeros((1, 2, 4, 4, 4), dtype=np.float32)
    x[0, 0, 1, 1, 1] = x[0, 0, 0, 1, 0] = np.nan
    parity.check(lambda fw, x: fw.nn.functional.max_pool3d(x, 2, return_indices=True), x)


def test_max_pool3d_integers(parity):
    x = parity.integers(-5, 5, 2, 2, 4, 5, 6)
    parity.check(lambda fw, x: fw.nn.functional.max_pool3d(x, 2, 1, 1, return_indices=True), x)
    parity.check(lambda fw, x: fw.nn.functional.avg_pool3d(x, 2), x)


@pytest.mark.parametrize("kernel, stride, padding, _, ceil_mode", POOL)
@pytest.mark.parametrize("count_include_pad, divisor", [(True, None), (False, None), (True, 5)])
def test_avg_pool3d(parity, kernel, stride, padding, _, ceil_mode, count_include_pad, divisor):
    x = parity.randn(2, 3, 6, 5, 7)
    parity.check(
        lambda fw, x: fw.nn.functional.avg_pool3d(
            x, kernel, stride, padding, ceil_mode, count_include_pad, divisor
        ),
        x,
    )
    parity.check(
        lambda fw, x: fw.nn.AvgPool3d(
            kernel, stride, padding, ceil_mode, count_include_pad, divisor
        )(x[0]),
        x,
    )


@pytest.mark.parametrize("out", [(2, 3, 4), 1, (None, 2, 5), (5, 4, 3), (7, 6, 8)])
def test_adaptive_pool3d(parity, out):
    x = parity.randn(2, 3, 5, 4, 7)
    parity.check(lambda fw, x: fw.nn.functional.adaptive_avg_pool3d(x, out), x)
    parity.check(lambda fw, x: fw.nn.AdaptiveAvgPool3d(out)(x[0]), x)
    parity.check(lambda fw, x: fw.nn.functional.adaptive_max_pool3d(x, out, True), x)
    parity.check(lambda fw, x: fw.nn.functional.adaptive_max_pool3d_with_indices(x, out), x)
    parity.check(lambda fw, x: fw.nn.AdaptiveMaxPool3d(out, return_indices=True)(x[0]), x)


@pytest.mark.parametrize("n", [1, 2])
def test_other_with_indices(parity, n):
    x = parity.randn(2, 3, 6, 7)[..., 0, :] if n == 1 else parity.randn(2, 3, 6, 7)
    name = f"max_pool{n}d_with_indices"
    parity.check(lambda fw, x: getattr(fw.nn.functional, name)(x, 3, 2, 1), x)
    name = f"adaptive_max_pool{n}d_with_indices"
    parity.check(lambda fw, x: getattr(fw.nn.functional, name)(x, 4), x)


@pytest.mark.parametrize(
    "norm, kernel, stride, ceil_mode",
    [(2.0, 2, None, False), (3.0, (2, 1, 3), (1, 2, 2), True), (1.5, 3, 1, False)],
)
def test_lp_pool3d(parity, norm, kernel, stride, ceil_mode):
    x = parity.uniform(0.1, 2.0, 2, 3, 5, 4, 6)
    parity.check(
        lambda fw, x: fw.nn.functional.lp_pool3d(x, norm, kernel, stride, ceil_mode), x, rtol=1e-4
    )
    parity.check(lambda fw, x: fw.nn.LPPool3d(norm, kernel, stride, ceil_mode)(x), x, rtol=1e-4)


@pytest.mark.parametrize(
    "kernel, stride, padding, size",
    [(2, None, 0, (6, 5, 7)), (3, 2, 1, (6, 5, 7)), ((2, 1, 3), (2, 1, 2), 0, (1, 3, 7, 5, 7))],
)
def test_max_unpool3d(parity, kernel, stride, padding, size):
    import torch

    x = torch.from_numpy(parity.randn(1, 3, 6, 5, 7))
    y, idx = torch.nn.functional.max_pool3d(x, kernel, stride, padding, return_indices=True)
    parity.check(
        lambda fw, y, idx: fw.nn.functional.max_unpool3d(y, idx, kernel, stride, padding, size),
        y.numpy(),
        idx.numpy(),
    )
    parity.check(
        lambda fw, y, idx: fw.nn.MaxUnpool3d(kernel, stride, padding)(y[0], idx[0], size),
        y.numpy(),
        idx.numpy(),
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda fw, x: fw.nn.functional.max_pool3d(x[0, 0, 0], 2),
        lambda fw, x: fw.nn.functional.max_pool3d(x, (2, 2)),
        lambda fw, x: fw.nn.functional.max_pool3d(x, 5),
        lambda fw, x: fw.nn.functional.max_pool3d(x, 2, padding=2),
        lambda fw, x: fw.nn.functional.max_pool3d(x, 2, stride=0),
        lambda fw, x: fw.nn.functional.avg_pool3d(x, 2, padding=2),
        lambda fw, x: fw.nn.functional.avg_pool3d(x, 2, divisor_override=0),
        lambda fw, x: fw.nn.functional.adaptive_avg_pool3d(x[0, 0, 0], 2),
        lambda fw, x: fw.nn.functional.adaptive_max_pool3d(x[0, 0, 0], 2),
        lambda fw, x: fw.nn.functional.adaptive_avg_pool3d(x, (2, 2)),
        lambda fw, x: fw.nn.functional.adaptive_max_pool3d(x, (2, 2)),
        lambda fw, x: fw.nn.functional.max_unpool3d(x, (x * 0).long() + 1000, 2),
    ],
)
def test_pool3d_errors(parity, call):
    error = parity.raises(call, parity.randn(1, 2, 4, 4, 4))
    assert str(error)


def test_pool3d_error_messages_match(parity):
    x = parity.randn(1, 2, 4, 4, 4)
    calls = [
        lambda fw, x: fw.nn.functional.max_pool3d(x[0, 0, 0], 2),
        lambda fw, x: fw.nn.functional.max_pool3d(x, (2, 2)),
        lambda fw, x: fw.nn.functional.max_pool3d(x, 5),
        lambda fw, x: fw.nn.functional.adaptive_max_pool3d(x[0, 0, 0], 2),
        lambda fw, x: fw.nn.functional.adaptive_avg_pool3d(x, (2, 2)),
        lambda fw, x: fw.nn.functional.max_unpool3d(x, (x * 0).long() + 1000, 2),
        lambda fw, x: fw.nn.functional.conv3d(x, fw.ones(2, 2, 5, 5, 5)),
        lambda fw, x: fw.nn.functional.conv_transpose3d(
            x, fw.ones(2, 2, 2, 2, 2), stride=2, output_padding=(2, 0, 0)
        ),
    ]
    import torch

    import ember

    for call in calls:
        messages = []
        for fw in (ember, torch):
            with pytest.raises(RuntimeError) as info:
                call(fw, fw.from_numpy(x.copy()))
            messages.append(str(info.value))
        assert messages[0] == messages[1]


def test_modules_repr_match():
    import torch

    import ember

    builders = [
        lambda nn: nn.Conv3d(4, 6, (3, 1, 2), stride=2, padding=1, groups=2, bias=False),
        lambda nn: nn.Conv3d(2, 2, 3, padding="same", padding_mode="circular"),
        lambda nn: nn.ConvTranspose3d(4, 2, 3, stride=2, output_padding=1, dilation=2),
        lambda nn: nn.MaxPool3d(3, 2, 1, ceil_mode=True),
        lambda nn: nn.AvgPool3d(2, divisor_override=3),
        lambda nn: nn.AdaptiveAvgPool3d((1, None, 2)),
        lambda nn: nn.AdaptiveMaxPool3d(2, return_indices=True),
        lambda nn: nn.LPPool3d(2, 3),
        lambda nn: nn.MaxUnpool3d(2),
    ]
    for build in builders:
        assert repr(build(ember.nn)) == repr(build(torch.nn))
    for e, t in itertools.zip_longest(
        builders[0](ember.nn).state_dict().items(), builders[0](torch.nn).state_dict().items()
    ):
        assert e[0] == t[0] and tuple(e[1].shape) == tuple(t[1].shape)
