"""Side by side with torch: fractional max pooling (the same ``_random_samples``: values,
indices, gradients, errors), CrossMapLRN2d's legacy forward, the hook-based spectral norm,
conv/linear-BatchNorm fusion, functional_call, nn.init.sparse_ and the deprecated aliases."""

import warnings

import numpy as np
import pytest
import torch

import ember

FRACTIONAL_2D = [
    # input shape, kernel, output_size, output_ratio
    ((2, 3, 9, 8), (2, 3), (4, 5), None),
    ((3, 10, 11), 2, (9, 6), None),
    ((1, 4, 7, 7), 3, 1, None),
    ((2, 2, 12, 9), 2, None, (0.5, 0.7)),
]


@pytest.mark.parametrize("shape, kernel, size, ratio", FRACTIONAL_2D)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool2d(parity, shape, kernel, size, ratio, dtype):
    x = parity.randn(*shape, dtype=dtype)
    samples = parity.uniform(0, 1, shape[0] if len(shape) == 4 else 1, shape[-3], 2, dtype=dtype)
    parity.check(
        lambda fw, x, s: fw.nn.functional.fractional_max_pool2d(
            x, kernel, size, ratio, return_indices=True, _random_samples=s
        ),
        x,
        samples,
        grad=(0,),
    )


@pytest.mark.parametrize(
    "shape, kernel, size",
    [((2, 3, 7, 6, 8), (2, 3, 2), (4, 3, 5)), ((2, 6, 5, 7), 2, 3), ((1, 2, 9, 9, 9), 3, 6)],
)
def test_fractional_max_pool3d(parity, shape, kernel, size):
    x = parity.randn(*shape)
    samples = parity.uniform(0, 1, shape[0] if len(shape) == 5 else 1, shape[-4], 3)
    parity.check(
        lambda fw, x, s: fw.nn.functional.fractional_max_pool3d_with_indices(
            x, kernel, size, _random_samples=s
        ),
        x,
        samples,
        grad=(0,),
    )


def test_fractional_max_pool_half_and_large(parity):
    # the window starts are computed in the input's dtype: float16 truncates differently
    for dtype in (np.float16, np.float32):
        x = parity.randn(1, 32, 97, 101, dtype=dtype)
        samples = parity.uniform(0, 1, 1, 32, 2, dtype=dtype)
        parity.check(
            lambda fw, x, s: fw.nn.functional.fractional_max_pool2d(
                x, 2, (61, 77), return_indices=True, _random_samples=s
            ),
            x,
            samples,
            grad=False,
        )


def test_fractional_max_pool_nan_inf_ties(parity):
    x = parity.integers(0, 3, 2, 3, 8, 9).astype(np.float64)
    x[x == 2] = np.nan
    x[0, 0] = -np.inf
    samples = parity.uniform(0, 1, 2, 3, 2, dtype=np.float64)
    parity.check(
        lambda fw, x, s: fw.nn.functional.fractional_max_pool2d(
            x, 3, (4, 5), return_indices=True, _random_samples=s
        ),
        x,
        samples,
        grad=False,
    )


def test_fractional_max_pool_modules(parity):
    x = parity.randn(2, 3, 9, 9)
    samples = parity.uniform(0, 1, 2, 3, 2)
    parity.check(
        lambda fw, x, s: fw.nn.FractionalMaxPool2d(
            2, output_ratio=0.5, return_indices=True, _random_samples=s
        )(x),
        x,
        samples,
        grad=(0,),
    )
    assert repr(ember.nn.FractionalMaxPool3d(2, 3)) == repr(torch.nn.FractionalMaxPool3d(2, 3))


@pytest.mark.parametrize(
    "call",
    [
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(x, 2),
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(x, 2, output_size=(7, 3)),
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(x, 2, output_size=(3, 6)),
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(x, (2, 2, 2), output_size=3),
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(x[:, :0], 2, output_size=3),
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(
            x, 2, 3, _random_samples=fw.rand(2, 3, 2, dtype=fw.float64)
        ),
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(
            x, 2, 3, _random_samples=fw.rand(1, 3, 2)
        ),
        lambda fw, x: fw.nn.functional.fractional_max_pool2d(
            x, 2, 3, _random_samples=fw.rand(2, 3, 3)
        ),
        lambda fw, x: fw.nn.functional.fractional_max_pool3d(x[None], 2, output_size=(2, 3, 3)),
        lambda fw, x: fw.nn.FractionalMaxPool2d(2, output_ratio=1.5),
        lambda fw, x: fw.nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5),
    ],
)
def test_fractional_max_pool_errors(parity, call):
    error = parity.raises(call, parity.randn(2, 3, 7, 6))
    with pytest.raises(type(error)) as torch_error:
        call(torch, torch.randn(2, 3, 7, 6))
    assert str(error) == str(torch_error.value)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 6])
def test_cross_map_lrn2d(parity, size):
    # forward only: torch's hand-written backward is not the gradient of its forward
    parity.check(
        lambda fw, x: fw.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.6, k=1.5)(x),
        parity.randn(2, 7, 3, 4),
        grad=False,
    )


def _copy_state(t_module, e_module):
    state = {
        k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t_module.state_dict().items()
    }
    e_module.load_state_dict(state)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda fw: fw.nn.Linear(5, 4), (3, 5)),
        (lambda fw: fw.nn.Conv2d(3, 4, 3), (2, 3, 5, 5)),
        (lambda fw: fw.nn.ConvTranspose2d(3, 4, 2), (2, 3, 4, 4)),
    ],
)
def test_spectral_norm(parity, make, shape):
    t_module = torch.nn.utils.spectral_norm(make(torch), n_power_iterations=2)
    e_module = ember.nn.utils.spectral_norm(make(ember), n_power_iterations=2)
    assert list(e_module.state_dict()) == list(t_module.state_dict())
    _copy_state(t_module, e_module)
    for train in (True, True, False):
        x = parity.randn(*shape)
        t_module.train(train)
        e_module.train(train)
        t_out, e_out = t_module(torch.from_numpy(x)), e_module(ember.from_numpy(x))
        np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), atol=1e-5)
        for name in ("weight_u", "weight_v"):
            np.testing.assert_allclose(
                getattr(e_module, name).numpy(), getattr(t_module, name).numpy(), atol=1e-6
            )
        t_out.sum().backward()
        e_out.sum().backward()
        np.testing.assert_allclose(
            e_module.weight_orig.grad.numpy(), t_module.weight_orig.grad.numpy(), atol=1e-5
        )
    torch.nn.utils.remove_spectral_norm(t_module)
    ember.nn.utils.remove_spectral_norm(e_module)
    assert list(e_module.state_dict()) == list(t_module.state_dict())
    np.testing.assert_allclose(
        e_module.weight.detach().numpy(), t_module.weight.detach().numpy(), atol=1e-6
    )


def _eval_bn(fw, cls, n):
    bn = getattr(fw.nn, cls)(n)
    with fw.no_grad():
        bn.running_mean.copy_(fw.linspace(-1, 1, n))
        bn.running_var.copy_(fw.linspace(0.5, 2, n))
        bn.weight.copy_(fw.linspace(0.5, 1.5, n))
        bn.bias.copy_(fw.linspace(1, -1, n))
    return bn.eval()


@pytest.mark.parametrize(
    "make, bn, transpose",
    [
        (lambda fw: fw.nn.Conv2d(3, 4, 3), "BatchNorm2d", False),
        (lambda fw: fw.nn.Conv1d(3, 4, 2, bias=False), "BatchNorm1d", False),
        (lambda fw: fw.nn.ConvTranspose3d(3, 4, 2), "BatchNorm3d", True),
    ],
)
def test_fuse_conv_bn(make, bn, transpose):
    t_conv, e_conv = make(torch).eval(), make(ember).eval()
    _copy_state(t_conv, e_conv)
    t_fused = torch.nn.utils.fuse_conv_bn_eval(t_conv, _eval_bn(torch, bn, 4), transpose)
    e_fused = ember.nn.utils.fuse_conv_bn_eval(e_conv, _eval_bn(ember, bn, 4), transpose)
    for name in ("weight", "bias"):
        e, t = getattr(e_fused, name), getattr(t_fused, name)
        assert type(e).__name__ == type(t).__name__ and e.requires_grad == t.requires_grad
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_fuse_linear_bn():
    t_linear, e_linear = torch.nn.Linear(3, 4).eval(), ember.nn.Linear(3, 4).eval()
    _copy_state(t_linear, e_linear)
    t_fused = torch.nn.utils.fuse_linear_bn_eval(t_linear, _eval_bn(torch, "BatchNorm1d", 4))
    e_fused = ember.nn.utils.fuse_linear_bn_eval(e_linear, _eval_bn(ember, "BatchNorm1d", 4))
    for name in ("weight", "bias"):
        np.testing.assert_allclose(
            getattr(e_fused, name).detach().numpy(),
            getattr(t_fused, name).detach().numpy(),
            rtol=1e-6,
            atol=1e-7,
        )


def _tied(fw):
    model = fw.nn.Sequential(fw.nn.Linear(3, 3), fw.nn.Tanh(), fw.nn.Linear(3, 3))
    model[2].weight = model[0].weight
    return model


@pytest.mark.parametrize("tie_weights", [True, False])
def test_functional_call(parity, tie_weights):
    x, w, b = parity.randn(2, 3), parity.randn(3, 3), parity.randn(3)

    def run(fw, x, w, b):
        model = _tied(fw)
        with fw.no_grad():
            for p in model.parameters():
                p.copy_(fw.linspace(-1, 1, p.numel()).reshape(p.shape))
        with pytest.warns(FutureWarning, match="is a drop-in replacement"):
            return fw.nn.utils.stateless.functional_call(
                model, {"0.weight": w, "2.bias": b}, (x,), tie_weights=tie_weights
            )

    parity.check(run, x, w, b)


def test_functional_call_strict_message():
    def message(fw):
        model = _tied(fw)
        given = {"0.weight": fw.zeros(3, 3), "x": fw.zeros(1)}
        with pytest.raises(RuntimeError) as info, pytest.warns(FutureWarning):
            fw.nn.utils.stateless.functional_call(model, given, fw.zeros(1, 3), strict=True)
        return str(info.value)

    assert message(ember) == message(torch)


def _warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize(
    "name, args",
    [
        ("uniform", ()),
        ("normal", ()),
        ("constant", (0.5,)),
        ("eye", ()),
        ("xavier_uniform", ()),
        ("xavier_normal", ()),
        ("kaiming_uniform", ()),
        ("kaiming_normal", ()),
        ("orthogonal", ()),
        ("sparse", (0.5,)),
    ],
)
def test_deprecated_init_warnings(name, args):
    for_fw = {
        fw: _warnings(lambda fw=fw: getattr(fw.nn.init, name)(fw.empty(4, 6), *args))
        for fw in (ember, torch)
    }
    assert for_fw[ember] == for_fw[torch]
    assert getattr(ember.nn.init, name).__name__ == getattr(torch.nn.init, name).__name__


def test_sparse_init_zeros_per_column():
    for sparsity in (0.0, 0.1, 0.35, 1.0):
        e = ember.nn.init.sparse_(ember.empty(11, 5), sparsity)
        t = torch.nn.init.sparse_(torch.empty(11, 5), sparsity)
        assert (e == 0).sum(0).tolist() == (t == 0).sum(0).tolist()


def test_clip_grad_norm_deprecated():
    results = {}
    for fw in (ember, torch):
        p = fw.nn.Parameter(fw.ones(4))
        p.grad = fw.full((4,), 3.0)
        caught = _warnings(
            lambda fw=fw, p=p: results.setdefault(fw, fw.nn.utils.clip_grad_norm([p], 1.0))
        )
        assert [c for c, _ in caught] == [FutureWarning]
        results[fw] = (float(results[fw]), p.grad.tolist())
    assert results[ember][0] == pytest.approx(results[torch][0])
    np.testing.assert_allclose(results[ember][1], results[torch][1], rtol=1e-6)
