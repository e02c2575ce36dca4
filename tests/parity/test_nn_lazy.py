"""Side by side with torch: lazy modules (materialised shapes, state dicts, reprs, errors),
nn.Buffer, AdaptiveLogSoftmaxWithLoss (values, gradients, log_prob, predict, errors),
SyncBatchNorm outside a process group, and DataParallel without GPUs."""

import numpy as np
import pytest
import torch

import ember

LAZY = [
    ("LazyLinear", (3,), (2, 5)),
    ("LazyConv1d", (4, 3), (2, 6, 8)),
    ("LazyConv2d", (4, 3), (6, 5, 5)),
    ("LazyConv3d", (2, 2), (1, 3, 3, 3, 3)),
    ("LazyConvTranspose1d", (4, 3), (2, 6, 8)),
    ("LazyConvTranspose2d", (4, 2), (2, 6, 3, 3)),
    ("LazyConvTranspose3d", (2, 2), (3, 2, 2, 2)),
    ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), (2, 3, 5)),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2)),
]


def _state(module):
    """State dict keys with the shape of each value, or its repr while uninitialised."""
    return {
        k: repr(v) if "Uninitialized" in type(v).__name__ else tuple(v.shape)
        for k, v in module.state_dict().items()
    }


@pytest.mark.parametrize("name, args, shape", LAZY)
def test_lazy_module(parity, name, args, shape):
    x = parity.randn(*shape)
    probe = getattr(torch.nn, name)(*args)
    probe(torch.from_numpy(x))
    values = [parity.randn(*p.shape) for p in probe.parameters()]
    modules = {fw.__name__: getattr(fw.nn, name)(*args) for fw in (ember, torch)}
    e, t = modules["ember"], modules["torch"]
    assert repr(e) == repr(t)
    assert _state(e) == _state(t)

    def run(fw, x):
        m = modules[fw.__name__]
        m(x)  # the dry run materialises the parameters
        with fw.no_grad():
            for p, value in zip(m.parameters(), values):
                p.copy_(fw.from_numpy(value))
        return m(x)

    parity.check(run, x, rtol=1e-4, atol=1e-5)
    assert type(e).__name__ == type(t).__name__ == name.removeprefix("Lazy")
    assert repr(e) == repr(t)
    assert _state(e) == _state(t)
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]


@pytest.mark.parametrize("name", ["LazyLinear", "LazyBatchNorm1d"])
def test_lazy_state_dict_loads_both_ways(name):
    args = (3,) if name == "LazyLinear" else ()
    for fw in (ember, torch):
        full = getattr(fw.nn, name)(*args)
        full(fw.ones(4, 2))
        lazy = getattr(fw.nn, name)(*args)
        result = lazy.load_state_dict(full.state_dict())
        assert repr(result) == "<All keys matched successfully>"
        assert type(lazy).__name__ == name and not lazy.has_uninitialized_params()
        assert [tuple(p.shape) for p in lazy.parameters()] == [
            tuple(p.shape) for p in full.parameters()
        ]
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            full.load_state_dict(getattr(fw.nn, name)(*args).state_dict())


def test_uninitialized_parameter_errors(parity):
    for fw in (ember, torch):
        p = fw.nn.UninitializedParameter()
        assert repr(p) == "<UninitializedParameter>" and p.requires_grad
        assert tuple(p.size()) == (0,) and str(p.dtype).endswith("float32")
        assert repr(fw.nn.UninitializedBuffer()) == "<UninitializedBuffer>"
        assert not fw.nn.UninitializedBuffer().requires_grad
    parity.raises(lambda fw: fw.nn.UninitializedParameter().sum())
    parity.raises(lambda fw: fw.nn.UninitializedParameter().shape)
    parity.raises(lambda fw: fw.nn.LazyLinear(2).weight.mul(2))
    parity.raises(lambda fw: fw.nn.LazyConv2d(2, 3)(fw.ones(2, 3)))
    parity.raises(lambda fw: fw.nn.LazyConv1d(4, 3, groups=2)(fw.ones(1, 3, 5)))
    e = parity.raises(lambda fw: fw.nn.UninitializedParameter().numel())
    assert "Attempted to use an uninitialized parameter" in str(e)


def test_buffer(parity):
    def run(fw, x):
        class Net(fw.nn.Module):
            def __init__(self):
                super().__init__()
                self.kept = fw.nn.Buffer(x * 2)
                self.dropped = fw.nn.Buffer(fw.ones(2), persistent=False)

            def forward(self, y):
                return y * self.kept

        net = Net()
        names = [n for n, _ in net.named_buffers()]
        assert names == ["kept", "dropped"] and list(net.state_dict()) == ["kept"]
        assert net.kept.requires_grad and net.kept.is_leaf and net.kept.persistent
        return net(x)

    parity.check(run, parity.randn(3))


def test_adaptive_log_softmax(parity):
    rng_values = {}

    def build(fw):
        asm = fw.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0, head_bias=True)
        with fw.no_grad():
            for name, p in asm.named_parameters():
                if name not in rng_values:
                    rng_values[name] = parity.randn(*p.shape)
                p.copy_(fw.from_numpy(rng_values[name]))
        return asm

    x = parity.randn(6, 8)
    target = np.array([0, 5, 11, 2, 7, 3])
    modules = {fw.__name__: build(fw) for fw in (ember, torch)}
    assert repr(modules["ember"]) == repr(modules["torch"])
    assert list(modules["ember"].state_dict()) == list(modules["torch"].state_dict())

    def forward(fw, x, target):
        out = modules[fw.__name__](x, target)
        assert type(out).__name__ == "_ASMoutput"
        return out.output, out.loss

    parity.check(forward, x, target, rtol=1e-5, atol=1e-5)
    parity.check(lambda fw, x, t: modules[fw.__name__](x, t).loss, x[2], np.array(11), atol=1e-5)
    parity.check(lambda fw, x: modules[fw.__name__].log_prob(x), x, atol=1e-5)
    parity.check(lambda fw, x: modules[fw.__name__].predict(x), x, grad=False)
    parity.check(lambda fw, x: modules[fw.__name__].predict(x * 10), x, grad=False)


def test_adaptive_log_softmax_errors(parity):
    for cutoffs in ([], [5, 3], [0, 3], [3, 10], [3, 3]):
        e = parity.raises(lambda fw, c=cutoffs: fw.nn.AdaptiveLogSoftmaxWithLoss(4, 10, c))
        assert "cutoffs should be a sequence" in str(e)
    x, bad = parity.randn(2, 4), np.array([1, 10])
    e = parity.raises(lambda fw, x, t: fw.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(x, t), x, bad)
    assert str(e).startswith("Target values should be in [0, 9]")
    parity.raises(
        lambda fw, x, t: fw.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(x, t), x, np.array([1])
    )
    parity.raises(
        lambda fw, x, t: fw.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])(x, t), x, np.array(1)
    )


def test_sync_batchnorm_without_process_group(parity):
    w, b = parity.randn(3), parity.randn(3)

    def run(fw, x, w, b):
        bn = fw.nn.SyncBatchNorm(3)
        with fw.no_grad():
            bn.weight.copy_(w)
            bn.bias.copy_(b)
        y = bn(x)
        return y, bn.running_mean, bn.running_var

    parity.check(run, parity.randn(4, 3, 5), w, b, grad=(0,), atol=1e-5)
    assert repr(ember.nn.SyncBatchNorm(3)) == repr(torch.nn.SyncBatchNorm(3))
    parity.raises(lambda fw: fw.nn.SyncBatchNorm(3)(fw.ones(3)))

    def convert(fw):
        model = fw.nn.Sequential(fw.nn.Linear(2, 3), fw.nn.BatchNorm1d(3))
        converted = fw.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return repr(converted), list(converted.state_dict())

    assert convert(ember) == convert(torch)


def test_data_parallel_without_gpus(parity):
    w, b = parity.randn(2, 3), parity.randn(2)

    def run(fw, x, w, b):
        net = fw.nn.Linear(3, 2)
        with fw.no_grad():
            net.weight.copy_(w)
            net.bias.copy_(b)
        dp = fw.nn.DataParallel(net)
        assert dp.module is net and dp.device_ids == []
        assert list(dp.state_dict()) == ["module.weight", "module.bias"]
        return dp(x)

    parity.check(run, parity.randn(4, 3), w, b)
    assert repr(ember.nn.DataParallel(ember.nn.ReLU())) == repr(
        torch.nn.DataParallel(torch.nn.ReLU())
    )
