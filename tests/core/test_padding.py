"""F.pad in its four modes against numpy.pad (numpy's 'reflect', 'edge' and 'wrap' are torch's
reflect, replicate and circular), negative amounts as crops, gradients and second derivatives by
finite differences, torch's errors, and the padding layers."""

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)

_NUMPY_MODE = {
    "constant": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}


def _pad_ref(x, pad, mode, value=0.0):
    """numpy.pad with the positive amounts, then the negative ones cropped (in circular mode
    cropped first, as torch does: the other side wraps around what is left). ``pad`` lists the
    last dim first, as F.pad takes it."""
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    grow = [(max(b, 0), max(a, 0)) for b, a in pairs]

    def crop(y):
        return y[tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(y.shape, pairs))]

    if mode == "circular":
        return np.pad(crop(x), grow, mode="wrap")
    kwargs = {"constant_values": value} if mode == "constant" else {}
    return crop(np.pad(x, grow, mode=_NUMPY_MODE[mode], **kwargs))


CASES = [
    # (input shape, pad)
    ((2, 5), (2, 3)),  # 1-d unbatched
    ((2, 3, 5), (4, 1)),  # 1-d batched
    ((3, 4, 5), (1, 2, 3, 0)),  # 2-d unbatched
    ((2, 2, 4, 5), (3, 1, 0, 2)),  # 2-d batched
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 0)),  # 3-d batched
    ((2, 3, 6), (-2, 3)),  # a crop on one side
    ((2, 3, 5, 6), (2, -1, -2, 1)),
]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,amounts", CASES)
def test_pad_matches_numpy_and_gradients(mode, shape, amounts):
    x = rng.standard_normal(shape)
    check_op(
        lambda t: F.pad(t, amounts, mode=mode),
        lambda a: _pad_ref(a, amounts, mode),
        x,
        gradgrad=True,
    )


def test_pad_reflect_example():
    x = ember.arange(3.0).reshape(1, 3)
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[2.0, 1.0, 0.0, 1.0, 2.0, 1.0]]
    assert F.pad(x, (2, 1), mode="replicate").tolist() == [[0.0, 0.0, 0.0, 1.0, 2.0, 2.0]]
    assert F.pad(x, (2, 1), mode="circular").tolist() == [[1.0, 2.0, 0.0, 1.0, 2.0, 0.0]]


def test_circular_pad_crops_before_wrapping():
    # torch crops the negative side first, then wraps around the rest
    x = ember.arange(5.0).reshape(1, 1, 5)
    assert F.pad(x, (-1, 2), mode="circular").tolist() == [[[1.0, 2.0, 3.0, 4.0, 1.0, 2.0]]]
    assert F.pad(x, (2, -1), mode="circular").tolist() == [[[2.0, 3.0, 0.0, 1.0, 2.0, 3.0]]]
    assert F.pad(x, (1, -4), mode="circular").tolist() == [[[0.0, 0.0]]]
    x = ember.arange(5.0, requires_grad=True)
    F.pad(x.reshape(1, 1, 5), (-1, 2), mode="circular").backward(ember.arange(6.0).reshape(1, 1, 6))
    # output [x1, x2, x3, x4, x1, x2]: x1 gets 0 + 4, x2 gets 1 + 5; x0 was cropped
    assert x.grad.tolist() == [0.0, 4.0, 6.0, 2.0, 3.0]
    # wrapping more than once around the cropped dim: an error (torch's reads its own output)
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(ember.zeros(1, 1, 5), (3, -3), mode="circular")


def test_pad_largest_amounts_each_mode_allows():
    x = rng.standard_normal((1, 2, 4))
    # reflect: below the size; circular: up to the size
    check_op(
        lambda t: F.pad(t, (3, 3), mode="reflect"), lambda a: _pad_ref(a, (3, 3), "reflect"), x
    )
    check_op(
        lambda t: F.pad(t, (4, 4), mode="circular"), lambda a: _pad_ref(a, (4, 4), "circular"), x
    )
    check_op(
        lambda t: F.pad(t, (9, 7), mode="replicate"), lambda a: _pad_ref(a, (9, 7), "replicate"), x
    )


@pytest.mark.parametrize("value", [None, 2.5, -1])
def test_constant_pad_value_and_any_number_of_dims(value):
    x = rng.standard_normal((2, 3, 4))
    amounts = (1, 0, 2, 1, 0, 3)  # all three dims of a 3-d tensor
    expected = _pad_ref(x, amounts, "constant", 0.0 if value is None else value)
    assert_close(F.pad(ember.tensor(x), amounts, value=value), expected)


def test_constant_pad_integer_and_crop_only():
    x = ember.arange(12).reshape(3, 4)
    y = F.pad(x, (1, 1), value=7)
    assert y.dtype == ember.int64
    assert y.tolist()[0] == [7, 0, 1, 2, 3, 7]
    # a pure crop is a new tensor, not a view of the input
    cropped = F.pad(x, (-1, -1, 0, -1))
    assert cropped.tolist() == [[1, 2], [5, 6]]
    cropped[0, 0] = 100
    assert x[0, 1].item() == 1


def test_zero_padding_in_non_constant_mode_copies():
    x = ember.ones(1, 2, 3)
    y = F.pad(x, (0, 0), mode="reflect")
    y[0, 0, 0] = 5.0
    assert x[0, 0, 0].item() == 1.0


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_on_device(mode, device):
    x = rng.standard_normal((2, 3, 4, 5))
    amounts = (2, 1, 3, 1)
    check_op(
        lambda t: F.pad(t, amounts, mode=mode),
        lambda a: _pad_ref(a, amounts, mode),
        x,
        device=device,
    )


def test_pad_backward_accumulates_folded_border():
    # replicate: the edge gets the gradient of every copy of itself
    x = ember.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    F.pad(x, (2, 3), mode="replicate").sum().backward()
    assert x.grad.tolist() == [[3.0, 1.0, 4.0]]
    x.grad = None
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    assert x.grad.tolist() == [[2.0, 3.0, 2.0]]
    x.grad = None
    F.pad(x, (3, 1), mode="circular").sum().backward()
    assert x.grad.tolist() == [[3.0, 2.0, 2.0]]


def test_pad_gradients_of_reflect_in_two_dims_second_order():
    x = ember.tensor(rng.standard_normal((1, 1, 3, 4)), requires_grad=True)
    gradcheck(lambda t: F.pad(t, (3, 2, 2, 1), mode="reflect") ** 2, (x,))
    gradgradcheck(lambda t: F.pad(t, (3, 2, 2, 1), mode="reflect") ** 2, (x,))


def test_pad_errors():
    x = ember.zeros(1, 2, 3)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="less than or equal to two times the input dimension"):
        F.pad(x, (1,) * 8)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode wrap"):
        F.pad(x, (1, 1), mode="wrap")
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match=r"Argument #6: .*padding \(2, 0\) at dimension 1"):
        F.pad(x, (1, 1, 2, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x, (0, 4), mode="circular")
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        F.pad(x, (1, 1), mode="replicate", value=1.0)
    with pytest.raises(NotImplementedError, match="Only 2D, 3D, 4D, 5D padding"):
        F.pad(ember.zeros(1, 1, 2, 3), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="resulted in a negative output size"):
        F.pad(x, (-2, -2))
    with pytest.raises(RuntimeError, match="non-zero dimensions for input"):
        F.pad(ember.zeros(1, 0, 3), (1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match="is too small"):
        F.pad(x, (-2, -1), mode="replicate")


# ------------------------------------------------------------------------------- the layers


@pytest.mark.parametrize(
    "layer,mode,amounts,shape",
    [
        (nn.ZeroPad1d(2), "constant", (2, 2), (2, 3, 4)),
        (nn.ZeroPad2d((1, 2, 0, 3)), "constant", (1, 2, 0, 3), (2, 3, 4)),
        (nn.ReflectionPad1d((2, 1)), "reflect", (2, 1), (2, 4)),
        (nn.ReflectionPad2d(2), "reflect", (2, 2, 2, 2), (1, 2, 3, 4)),
        (nn.ReflectionPad3d(1), "reflect", (1,) * 6, (1, 2, 3, 4)),
        (nn.ReplicationPad1d(3), "replicate", (3, 3), (2, 3, 4)),
        (nn.ReplicationPad2d((0, 1, 2, 3)), "replicate", (0, 1, 2, 3), (1, 2, 3, 4)),
        (nn.ReplicationPad3d(1), "replicate", (1,) * 6, (2, 2, 3, 4)),
        (nn.CircularPad1d(1), "circular", (1, 1), (2, 3, 4)),
        (nn.CircularPad2d((1, 2, 2, 1)), "circular", (1, 2, 2, 1), (2, 3, 4)),
        (nn.CircularPad3d(1), "circular", (1,) * 6, (1, 2, 2, 3, 4)),
    ],
)
def test_padding_layers_match_pad(layer, mode, amounts, shape):
    x = rng.standard_normal(shape)
    assert layer.padding == amounts
    assert_close(layer(ember.tensor(x)), _pad_ref(x, amounts, mode))


def test_constant_pad_layers_value_and_repr():
    layer = nn.ConstantPad2d((1, 0, 2, 1), 3.5)
    x = rng.standard_normal((2, 2, 3))
    assert_close(layer(ember.tensor(x)), _pad_ref(x, (1, 0, 2, 1), "constant", 3.5))
    assert repr(layer) == "ConstantPad2d(padding=(1, 0, 2, 1), value=3.5)"
    assert repr(nn.ConstantPad1d(2, 1.0)) == "ConstantPad1d(padding=(2, 2), value=1.0)"
    assert repr(nn.ConstantPad3d(1, 0.5)) == "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=0.5)"
    assert repr(nn.ZeroPad2d(2)) == "ZeroPad2d((2, 2, 2, 2))"
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d)
    assert nn.ZeroPad1d(1).value == 0.0
    assert repr(nn.ReflectionPad2d((1, 2, 3, 4))) == "ReflectionPad2d((1, 2, 3, 4))"
    assert repr(nn.ReplicationPad1d(2)) == "ReplicationPad1d((2, 2))"
    assert repr(nn.CircularPad2d(1)) == "CircularPad2d((1, 1, 1, 1))"
    assert list(nn.ReflectionPad2d(1).state_dict()) == []


def test_circular_pad_layer_checks_dims():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.CircularPad2d(1)(ember.zeros(3, 4))
