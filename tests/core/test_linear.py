"""Linear, Bilinear, Identity, Flatten/Unflatten and their functional forms: forward against
numpy, gradients by finite differences, torch's default initialisation and error messages."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)


def _linear_ref(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def _bilinear_ref(x1, x2, w, b=None):
    y = np.einsum("...i,oij,...j->...o", x1, w, x2)
    return y if b is None else y + b


# out_features 9 against one or two rows takes the weight-on-the-left GEMM, 2 the other
@pytest.mark.parametrize("batch, out", [((), 2), ((4,), 2), ((2, 3), 2), ((), 9), ((2,), 9)])
def test_linear_matches_numpy_and_gradients(batch, out, device):
    x = rng.standard_normal((*batch, 3))
    w = rng.standard_normal((out, 3))
    b = rng.standard_normal(out)
    assert F.linear(ember.tensor(x), ember.tensor(w)).is_contiguous()
    check_op(F.linear, _linear_ref, x, w, b, gradgrad=True, device=device)
    check_op(F.linear, _linear_ref, x, w, device=device)
    check_op(F.linear, _linear_ref, x, w[0], b[0], device=device)  # a 1-D weight: dot products


@pytest.mark.parametrize("rows", [0, 1, 3, 4])
def test_linear_row_by_row_over_weight_blocks(rows, monkeypatch):
    # few rows against a large weight run as matrix-vector products over blocks of the
    # weight's rows; blocks of 5 rows of 7 leave a short last block
    from ember.ops import linear as linear_ops

    monkeypatch.setattr(linear_ops, "_ROW_BY_ROW_MIN_BYTES", 0)
    monkeypatch.setattr(linear_ops, "_ROW_BY_ROW_BLOCK_BYTES", 5 * 6 * 4)
    x = rng.standard_normal((rows, 6)).astype(np.float32)
    w = rng.standard_normal((17, 6)).astype(np.float32)
    b = rng.standard_normal(17).astype(np.float32)
    y = F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(b))
    assert y.shape == (rows, 17) and y.dtype == ember.float32
    assert_close(y, _linear_ref(x.astype(np.float64), w, b), rtol=1e-5, atol=1e-5)
    # a transposed (not C-contiguous) weight takes the GEMM
    assert_close(F.linear(ember.tensor(x), ember.tensor(w.T.copy()).t()), x @ w.T, rtol=1e-5)


def test_linear_grad_of_one_input():
    # only some inputs require grad: the others get none
    x = ember.randn(4, 3)
    w = ember.randn(2, 3, requires_grad=True)
    F.linear(x, w).sum().backward()
    assert_close(w.grad, np.broadcast_to(x.numpy().sum(0), (2, 3)), rtol=1e-5, atol=1e-5)
    assert x.grad is None


def test_linear_module_forward_and_gradcheck():
    m = nn.Linear(3, 2).double()
    assert m.weight.dtype == ember.float64
    x = ember.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    expected = _linear_ref(x.detach().numpy(), m.weight.detach().numpy(), m.bias.detach().numpy())
    assert_close(m(x), expected)
    # the module's parameters are the inputs gradcheck perturbs
    assert gradcheck(lambda x, w, b: m(x), (x, m.weight, m.bias))


def test_linear_module_dtype_device_and_no_bias(device):
    m = nn.Linear(3, 4, bias=False, device=device, dtype=ember.float64)
    assert m.bias is None and list(m.state_dict()) == ["weight"]
    assert m.weight.dtype == ember.float64 and m.weight.device.type == ember.device(device).type
    x = ember.randn(2, 3, dtype=ember.float64, device=device)
    assert_close(m(x), _linear_ref(x.numpy(force=True), m.weight.numpy(force=True)))
    assert m(x).dtype == ember.float64


def test_linear_default_init_bounds():
    ember.manual_seed(0)
    m = nn.Linear(50, 40)
    # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as does the bias
    bound = 1 / math.sqrt(50)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        empty = nn.Linear(0, 3)  # zero fan-in: the bias bound is 0
    assert empty.bias.tolist() == [0.0, 0.0, 0.0]


def test_linear_errors():
    with pytest.raises(
        RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 3x2\)"
    ):
        F.linear(ember.ones(2, 3, 4), ember.ones(2, 3))
    # torch's words differ by path: matmul without bias, addmm (self = bias) with one
    double, single = ember.ones(2, 3, dtype=ember.float64), ember.ones(2, 3)
    with pytest.raises(
        RuntimeError, match="expected m1 and m2 to have the same dtype, but got: double != float"
    ):
        F.linear(double, single)
    with pytest.raises(
        RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"
    ):
        F.linear(double, single, ember.ones(2))
    with pytest.raises(
        RuntimeError, match="self and mat2 must have the same dtype, but got Double and Float"
    ):
        F.linear(single, single, ember.ones(2, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="at least 1D"):
        F.linear(ember.tensor(1.0), ember.ones(2, 3))


@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_bilinear_matches_numpy_and_gradients(batch):
    x1 = rng.standard_normal((*batch, 3))
    x2 = rng.standard_normal((*batch, 2))
    w = rng.standard_normal((4, 3, 2))
    b = rng.standard_normal(4)
    check_op(F.bilinear, _bilinear_ref, x1, x2, w, b, gradgrad=True)
    check_op(F.bilinear, _bilinear_ref, x1, x2, w)


def test_bilinear_module():
    ember.manual_seed(0)
    m = nn.Bilinear(16, 3, 5)
    assert repr(m) == "Bilinear(in1_features=16, in2_features=3, out_features=5, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"] and m.weight.shape == (5, 16, 3)
    bound = 1 / math.sqrt(16)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    x1, x2 = ember.randn(7, 16), ember.randn(7, 3)
    expected = _bilinear_ref(
        x1.numpy(), x2.numpy(), m.weight.detach().numpy(), m.bias.detach().numpy()
    )
    assert_close(m(x1, x2), expected, rtol=1e-5, atol=1e-5)
    assert nn.Bilinear(2, 2, 1, bias=False).bias is None


def test_bilinear_errors():
    w = ember.ones(4, 3, 2)
    with pytest.raises(RuntimeError, match="input dimensions do not match: got 2 and 1"):
        F.bilinear(ember.ones(5, 3), ember.ones(2), w)
    with pytest.raises(
        RuntimeError, match="input batch dimensions do not match at dim 0: got 5 and 6"
    ):
        F.bilinear(ember.ones(5, 3), ember.ones(6, 2), w)
    with pytest.raises(
        RuntimeError, match="input1 size does not match weight size: got 2 but expected 3"
    ):
        F.bilinear(ember.ones(5, 2), ember.ones(5, 2), w)
    with pytest.raises(
        RuntimeError, match="input2 size does not match weight size: got 3 but expected 2"
    ):
        F.bilinear(ember.ones(5, 3), ember.ones(5, 3), w)
    with pytest.raises(
        RuntimeError, match="bias size does not match weight size: got 3 but expected 4"
    ):
        F.bilinear(ember.ones(5, 3), ember.ones(5, 2), w, ember.ones(3))


def test_identity_flatten_unflatten():
    x = ember.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused="x")(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert_close(nn.Flatten()(x), x.numpy().reshape(2, 60))
    assert nn.Unflatten(1, (3, 4))(ember.randn(2, 12)).shape == (2, 3, 4)
    assert nn.Unflatten(-1, [2, -1])(ember.randn(2, 12)).shape == (2, 2, 6)
    with pytest.raises(
        TypeError, match="must be tuple of ints, but found element of type float at pos 1"
    ):
        nn.Unflatten(1, (3, 4.0))
    with pytest.raises(TypeError, match="must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 12)


def test_functional_reexports():
    from ember.ops import activation

    assert F.softmax is activation.softmax and F.log_softmax is activation.log_softmax
    assert F.softmin is activation.softmin
    x = ember.tensor([-1.0, 2.0])
    assert F.relu(x).tolist() == [0.0, 2.0] and x.tolist() == [-1.0, 2.0]
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
