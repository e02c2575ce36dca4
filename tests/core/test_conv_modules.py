"""The convolution, pooling and fold layers: torch's reprs, parameter names, shapes and
initialisation bounds, padding modes (pad first, then convolve), forward against the functionals
and against a direct numpy convolution, transposed convolutions with ``output_size``, and the
constructor errors."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close

rng = np.random.default_rng(0)

_NUMPY_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _conv2d_ref(x, w, b, pads, mode):
    """numpy.pad in the layer's mode, then every output a dot product of window and filter."""
    xp = np.pad(x, ((0, 0), (0, 0), *pads), mode=_NUMPY_MODE[mode])
    n, _, h, wd = xp.shape
    oc, _, kh, kw = w.shape
    y = np.zeros((n, oc, h - kh + 1, wd - kw + 1))
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            window = xp[:, :, i : i + kh, j : j + kw]
            y[:, :, i, j] = np.einsum("nchw,ochw->no", window, w) + b
    return y


def _numpy(t):
    return t.detach().numpy()


# ------------------------------------------------------------------------------------ reprs


@pytest.mark.parametrize(
    "layer,text",
    [
        (
            nn.Conv2d(3, 64, 3, padding=1),
            "Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
        ),
        (
            nn.Conv2d(4, 8, (3, 5), stride=2, dilation=(1, 2), groups=2, bias=False),
            "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), dilation=(1, 2), groups=2, bias=False)",
        ),
        (
            nn.Conv2d(2, 2, 3, padding="same", padding_mode="reflect"),
            "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=same, padding_mode=reflect)",
        ),
        (nn.Conv1d(16, 33, 3, stride=2), "Conv1d(16, 33, kernel_size=(3,), stride=(2,))"),
        (
            nn.ConvTranspose2d(16, 33, (3, 5), stride=2, padding=(4, 2), output_padding=1),
            "ConvTranspose2d(16, 33, kernel_size=(3, 5), stride=(2, 2), padding=(4, 2), "
            "output_padding=(1, 1))",
        ),
        (nn.ConvTranspose1d(4, 2, 3), "ConvTranspose1d(4, 2, kernel_size=(3,), stride=(1,))"),
        (
            nn.MaxPool2d(2),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        ),
        (
            nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
            "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)",
        ),
        (
            nn.MaxPool1d(3),
            "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)",
        ),
        (nn.MaxUnpool2d(2), "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
        (nn.MaxUnpool1d(2, 1), "MaxUnpool1d(kernel_size=(2,), stride=(1,), padding=(0,))"),
        (nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
        (nn.AvgPool1d(3, 2), "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))"),
        (nn.AdaptiveAvgPool2d((6, 6)), "AdaptiveAvgPool2d(output_size=(6, 6))"),
        (nn.AdaptiveAvgPool1d(4), "AdaptiveAvgPool1d(output_size=4)"),
        (nn.AdaptiveMaxPool2d((None, 3)), "AdaptiveMaxPool2d(output_size=(None, 3))"),
        (nn.LPPool2d(2, 3), "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"),
        (nn.Unfold((2, 3)), "Unfold(kernel_size=(2, 3), dilation=1, padding=0, stride=1)"),
        (
            nn.Fold((4, 5), 2),
            "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)",
        ),
    ],
)
def test_reprs_are_torchs(layer, text):
    assert repr(layer) == text


def test_repr_inside_a_model():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n"
        "  (1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        ")"
    )


# ------------------------------------------------------------------ parameters and init


@pytest.mark.parametrize(
    "layer,weight_shape",
    [
        (nn.Conv1d(4, 6, 3, groups=2), (6, 2, 3)),
        (nn.Conv2d(4, 6, (3, 2), groups=2), (6, 2, 3, 2)),
        (nn.ConvTranspose1d(4, 6, 3, groups=2), (4, 3, 3)),
        (nn.ConvTranspose2d(4, 6, (3, 2), groups=2), (4, 3, 3, 2)),
    ],
)
def test_state_dict_keys_and_shapes(layer, weight_shape):
    state = layer.state_dict()
    assert list(state) == ["weight", "bias"]
    assert tuple(state["weight"].shape) == weight_shape
    assert tuple(state["bias"].shape) == (6,)


def test_no_bias_and_device_dtype():
    conv = nn.Conv2d(2, 3, 1, bias=False, dtype=ember.float64)
    assert conv.bias is None
    assert list(conv.state_dict()) == ["weight"]
    assert conv.weight.dtype == ember.float64
    assert conv(ember.ones(1, 2, 2, 2, dtype=ember.float64)).dtype == ember.float64


@pytest.mark.parametrize(
    "layer,fan_in",
    [
        (nn.Conv2d(8, 16, 5, groups=2), 4 * 25),
        (nn.Conv1d(30, 40, 7), 30 * 7),
        # torch computes a transposed conv's fan_in from weight.size(1) = out_channels / groups
        (nn.ConvTranspose2d(20, 12, 4), 12 * 16),
    ],
)
def test_default_init_bounds(layer, fan_in):
    bound = 1 / math.sqrt(fan_in)
    w, b = _numpy(layer.weight), _numpy(layer.bias)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.9 * bound  # spread over the whole interval
    assert abs(w.mean()) < 0.1 * bound
    assert np.abs(b).max() <= bound


def test_reset_parameters_redraws():
    conv = nn.Conv2d(2, 2, 3)
    before = _numpy(conv.weight).copy()
    conv.reset_parameters()
    assert not np.array_equal(before, _numpy(conv.weight))


# ------------------------------------------------------------------------------- forward


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same", "valid"])
def test_conv2d_padding_modes(padding_mode, padding):
    conv = nn.Conv2d(3, 4, (3, 4), padding=padding, padding_mode=padding_mode, dtype=ember.float64)
    x = rng.standard_normal((2, 3, 5, 6))
    if padding == "same":  # the odd one of an odd total goes after the input
        pads = ((1, 1), (1, 2))
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        pads = ((ph, ph), (pw, pw))
    w, b = _numpy(conv.weight), _numpy(conv.bias)
    y = conv(ember.tensor(x))
    assert_close(y, _conv2d_ref(x, w, b, pads, padding_mode))
    if padding_mode != "zeros":
        # torch's _conv_forward: F.pad in the mode, then a convolution without padding
        flat = (pads[1][0], pads[1][1], pads[0][0], pads[0][1])
        padded = F.pad(ember.tensor(x), flat, mode=padding_mode)
        assert_close(y, F.conv2d(padded, conv.weight, conv.bias))


def test_conv1d_padding_mode_and_unbatched():
    conv = nn.Conv1d(2, 3, 3, padding=2, padding_mode="circular")
    x = ember.tensor(rng.standard_normal((2, 7)), dtype=ember.float32)
    expected = F.conv1d(F.pad(x.unsqueeze(0), (2, 2), mode="circular"), conv.weight, conv.bias)
    assert_close(conv(x), expected[0])
    plain = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2)
    assert_close(plain(x), F.conv1d(x, plain.weight, plain.bias, 2, 1, 2))


def test_conv2d_reflect_gradients():
    conv = nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect", dtype=ember.float64)
    x = ember.tensor(rng.standard_normal((1, 2, 4, 3)), requires_grad=True)
    gradcheck(
        lambda a, w, b: F.conv2d(F.pad(a, (1, 1, 1, 1), mode="reflect"), w, b),
        (x, conv.weight, conv.bias),
    )
    conv(x).sum().backward()
    assert conv.weight.grad.shape == conv.weight.shape
    assert x.grad.shape == x.shape


def test_conv_transpose_output_size():
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    x = ember.tensor(rng.standard_normal((1, 4, 5, 6)), dtype=ember.float32)
    assert up(x).shape == (1, 2, 9, 11)
    y = up(x, output_size=[10, 12])
    assert y.shape == (1, 2, 10, 12)
    expected = F.conv_transpose2d(x, up.weight, up.bias, 2, 1, (1, 1))
    assert_close(y, expected)
    assert up(x, output_size=(1, 2, 10, 11)).shape == (1, 2, 10, 11)
    with pytest.raises(
        ValueError, match=r"requested an output size of \[12, 12\], but valid sizes"
    ):
        up(x, output_size=(12, 12))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        up(x, output_size=(10,))
    up1 = nn.ConvTranspose1d(2, 3, 4, stride=3, groups=1, dilation=2)
    z = ember.tensor(rng.standard_normal((2, 5)), dtype=ember.float32)
    assert_close(
        up1(z, output_size=[20]), F.conv_transpose1d(z, up1.weight, up1.bias, 3, 0, 1, 1, 2)
    )


def test_conv_on_device(device):
    conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode="replicate", device=device)
    assert conv.weight.device.type == device
    x = rng.standard_normal((1, 2, 4, 5)).astype(np.float32)
    y = conv(ember.tensor(x, device=device))
    w, b = _numpy(conv.weight.cpu()), _numpy(conv.bias.cpu())
    assert_close(
        y.cpu(),
        _conv2d_ref(x, w, b, ((1, 1), (1, 1)), "replicate").astype(np.float32),
        atol=1e-5,
        rtol=1e-5,
    )


def test_pooling_layers_match_functionals():
    x = ember.tensor(rng.standard_normal((2, 3, 7, 6)))
    x1 = x[:, :, 0]
    cases = [
        (nn.MaxPool2d(3, 2, 1, ceil_mode=True), F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
        (nn.MaxPool2d((2, 3), dilation=(1, 2)), F.max_pool2d(x, (2, 3), dilation=(1, 2))),
        (
            nn.AvgPool2d(3, 2, 1, count_include_pad=False),
            F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        ),
        (nn.AvgPool2d(2, divisor_override=3), F.avg_pool2d(x, 2, divisor_override=3)),
        (nn.AdaptiveAvgPool2d((4, None)), F.adaptive_avg_pool2d(x, (4, None))),
        (nn.AdaptiveMaxPool2d(3), F.adaptive_max_pool2d(x, 3)),
        (nn.LPPool2d(2, 2), F.lp_pool2d(x, 2.0, 2)),
    ]
    for layer, expected in cases:
        assert_close(layer(x), expected)
    cases_1d = [
        (nn.MaxPool1d(2, 1, 1), F.max_pool1d(x1, 2, 1, 1)),
        (nn.AvgPool1d(3, 2, 1), F.avg_pool1d(x1, 3, 2, 1)),
        (nn.AdaptiveAvgPool1d(4), F.adaptive_avg_pool1d(x1, 4)),
        (nn.AdaptiveMaxPool1d(2), F.adaptive_max_pool1d(x1, 2)),
        (nn.LPPool1d(1, 3), F.lp_pool1d(x1, 1.0, 3)),
    ]
    for layer, expected in cases_1d:
        assert_close(layer(x1), expected)


def test_max_pool_indices_and_unpool_layers():
    x = ember.tensor(rng.standard_normal((1, 2, 4, 6)))
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    restored = nn.MaxUnpool2d(2)(y, idx)
    assert_close(restored, F.max_unpool2d(y, idx, 2))
    assert restored.shape == x.shape
    assert nn.MaxUnpool2d(2)(y, idx, output_size=(5, 7)).shape == (1, 2, 5, 7)
    y1, idx1 = nn.MaxPool1d(2, return_indices=True)(x[:, :, 0])
    assert_close(nn.MaxUnpool1d(2)(y1, idx1), F.max_unpool1d(y1, idx1, 2))
    values, where = nn.AdaptiveMaxPool2d(2, return_indices=True)(x)
    assert_close(values, F.adaptive_max_pool2d(x, 2))
    assert where.dtype == ember.int64


def test_fold_layers_round_trip():
    x = ember.tensor(rng.standard_normal((2, 3, 4, 5)))
    unfold = nn.Unfold(kernel_size=(2, 3), padding=1, stride=(1, 2))
    cols = unfold(x)
    assert_close(cols, F.unfold(x, (2, 3), padding=1, stride=(1, 2)))
    fold = nn.Fold(output_size=(4, 5), kernel_size=(2, 3), padding=1, stride=(1, 2))
    assert_close(fold(cols), F.fold(cols, (4, 5), (2, 3), padding=1, stride=(1, 2)))
    # non-overlapping blocks: fold undoes unfold
    blocks = nn.Unfold(2, stride=2)(x[..., :4])
    assert_close(nn.Fold((4, 4), 2, stride=2)(blocks), x[..., :4])


# -------------------------------------------------------------------------------- errors


def test_constructor_errors():
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(2, 2, 3, groups=0)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(2, 2, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv1d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(2, 2, 3, padding_mode="wrap")
    with pytest.raises(
        ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'
    ):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
