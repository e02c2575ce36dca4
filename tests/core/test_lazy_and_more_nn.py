"""Lazy modules and uninitialised parameters, nn.Buffer, AdaptiveLogSoftmaxWithLoss,
SyncBatchNorm in one process and DataParallel."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.parameter import is_lazy
from ember.testing import assert_close

LAZY = [
    # lazy module, input, the class it becomes, the weight shape it gets
    (lambda: nn.LazyLinear(3), (2, 5), nn.Linear, (3, 5)),
    (lambda: nn.LazyConv1d(4, 3), (2, 6, 8), nn.Conv1d, (4, 6, 3)),
    (lambda: nn.LazyConv2d(4, 3, groups=2), (2, 6, 5, 5), nn.Conv2d, (4, 3, 3, 3)),
    (lambda: nn.LazyConv3d(2, 1), (6, 3, 3, 3), nn.Conv3d, (2, 6, 1, 1, 1)),
    (lambda: nn.LazyConvTranspose1d(4, 3), (2, 6, 8), nn.ConvTranspose1d, (6, 4, 3)),
    (
        lambda: nn.LazyConvTranspose2d(4, 2, groups=2),
        (2, 6, 3, 3),
        nn.ConvTranspose2d,
        (6, 2, 2, 2),
    ),
    (lambda: nn.LazyConvTranspose3d(2, 2), (2, 3, 2, 2, 2), nn.ConvTranspose3d, (3, 2, 2, 2, 2)),
    (lambda: nn.LazyBatchNorm1d(), (4, 3), nn.BatchNorm1d, (3,)),
    (lambda: nn.LazyBatchNorm2d(), (2, 3, 4, 4), nn.BatchNorm2d, (3,)),
    (lambda: nn.LazyBatchNorm3d(), (2, 3, 2, 2, 2), nn.BatchNorm3d, (3,)),
    (lambda: nn.LazyInstanceNorm1d(), (2, 3, 5), nn.InstanceNorm1d, (3,)),
    (lambda: nn.LazyInstanceNorm2d(), (2, 3, 4, 4), nn.InstanceNorm2d, (3,)),
    (lambda: nn.LazyInstanceNorm3d(), (2, 3, 2, 2, 2), nn.InstanceNorm3d, (3,)),
]


@pytest.mark.parametrize("make, shape, becomes, weight_shape", LAZY)
def test_lazy_module_materialises_on_first_forward(make, shape, becomes, weight_shape, device):
    m = make().to(device)  # moved before the dry run: it materialises there
    assert m.has_uninitialized_params()
    assert is_lazy(m.weight) and type(m.weight) is nn.UninitializedParameter
    assert m.weight.device.type == device
    assert len(m._forward_pre_hooks) == 1
    y = m(ember.randn(*shape, device=device))
    assert type(m) is becomes and not m._forward_pre_hooks
    assert type(m.weight) is nn.Parameter and m.weight.shape == weight_shape
    assert all(not is_lazy(t) for t in [*m.parameters(), *m.buffers()])
    assert all(t.device.type == device for t in [*m.parameters(), *m.buffers()])
    assert not hasattr(m, "_initialize_hook")
    # the materialised module is an ordinary one of its class
    x = ember.randn(*shape, device=device)
    m.eval()
    assert_close(m(x).detach(), becomes.forward(m, x).detach())
    assert y.dim() == len(shape) and y.device.type == device


def test_lazy_linear_matches_linear_and_initialises_like_it():
    ember.manual_seed(0)
    lazy = nn.LazyLinear(3)
    x = ember.randn(4, 5)
    ember.manual_seed(1)
    y = lazy(x)
    ember.manual_seed(1)
    eager = nn.Linear(5, 3)  # draws the same numbers in the same order
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), eager.weight.detach().numpy())
    np.testing.assert_array_equal(lazy.bias.detach().numpy(), eager.bias.detach().numpy())
    np.testing.assert_allclose(y.detach().numpy(), eager(x).detach().numpy())
    assert repr(lazy) == "Linear(in_features=5, out_features=3, bias=True)"


def test_lazy_reprs_and_state_dict_before_materialisation():
    assert repr(nn.LazyLinear(3)) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert repr(nn.LazyConv2d(4, 3)) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.LazyInstanceNorm2d()) == (
        "LazyInstanceNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)"
    )
    sd = nn.LazyBatchNorm1d().state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [repr(v) for v in list(sd.values())[:4]] == [
        "<UninitializedParameter>",
        "<UninitializedParameter>",
        "<UninitializedBuffer>",
        "<UninitializedBuffer>",
    ]
    assert "bias" not in nn.LazyLinear(3, bias=False).state_dict()


def test_lazy_state_dict_round_trips():
    full = nn.LazyLinear(3)
    full(ember.randn(2, 4))
    # initialised into uninitialised: materialises with the saved shapes and values
    lazy = nn.LazyLinear(3)
    lazy.load_state_dict(full.state_dict())
    assert type(lazy) is nn.LazyLinear and lazy.weight.shape == (3, 4)
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), full.weight.detach().numpy())
    lazy(ember.randn(2, 4))  # the dry run keeps the loaded values and sets in_features
    assert type(lazy) is nn.Linear and lazy.in_features == 4
    np.testing.assert_array_equal(lazy.bias.detach().numpy(), full.bias.detach().numpy())
    # uninitialised into uninitialised: nothing to copy
    other = nn.LazyLinear(3)
    assert not other.load_state_dict(nn.LazyLinear(3).state_dict()).missing_keys
    assert other.has_uninitialized_params()
    # uninitialised into initialised: torch's error
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        full.load_state_dict(nn.LazyLinear(3).state_dict())
    # batch norm: the buffers too
    bn = nn.LazyBatchNorm2d()
    bn(ember.randn(2, 5, 3, 3))
    fresh = nn.LazyBatchNorm2d()
    fresh.load_state_dict(bn.state_dict())
    np.testing.assert_array_equal(fresh.running_mean.numpy(), bn.running_mean.numpy())
    assert int(fresh.num_batches_tracked) == 1


def test_lazy_modules_on_device(device):
    # created there: the uninitialised parameters and buffers record the device
    lazy = nn.LazyLinear(3, device=device, dtype=ember.float64)
    assert lazy.weight.device.type == device and lazy.weight.dtype == ember.float64
    x = ember.randn(2, 4, device=device, dtype=ember.float64)
    y = lazy(x)
    assert type(lazy) is nn.Linear and lazy.weight.device.type == device
    assert_close(y, x @ lazy.weight.t() + lazy.bias)
    bn = nn.LazyBatchNorm1d(device=device)
    assert bn.running_mean.device.type == device
    bn(ember.randn(5, 3, device=device))
    assert bn.running_var.shape == (3,) and bn.running_var.device.type == device
    assert int(bn.num_batches_tracked) == 1
    # a CPU state dict loaded into a lazy module on the device materialises it there
    full = nn.Linear(4, 3)
    other = nn.LazyLinear(3).to(device)
    other.load_state_dict(full.state_dict())
    assert other.weight.shape == (3, 4) and other.weight.device.type == device
    assert_close(other.weight.detach(), full.weight.detach())
    other(ember.randn(2, 4, device=device))
    assert type(other) is nn.Linear and other.in_features == 4
    fresh = nn.LazyBatchNorm2d().cuda() if device == "cuda" else nn.LazyBatchNorm2d()
    fresh.load_state_dict(nn.BatchNorm2d(5).state_dict())
    assert fresh.running_mean.device.type == device and fresh.running_mean.shape == (5,)


def test_uninitialized_parameter_refuses_use_but_converts():
    p = nn.UninitializedParameter(dtype=ember.float64)
    assert p.dtype == ember.float64 and p.requires_grad and p.size() == (0,)
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        p.sum()
    with pytest.raises(RuntimeError, match="Can't access the shape"):
        p.shape  # noqa: B018
    with pytest.raises(RuntimeError, match="Can't share memory"):
        p.share_memory_()
    assert type(p.float()) is ember.Tensor and p.float().dtype == ember.float32
    assert copy.deepcopy(p).dtype == ember.float64
    b = nn.UninitializedBuffer(persistent=False)
    assert not b.requires_grad and type(b.double()) is nn.UninitializedBuffer
    m = nn.LazyBatchNorm1d().double()  # a lazy module moves and casts before the dry run
    assert is_lazy(m.weight) and m.weight.dtype == ember.float64
    assert m.running_mean.dtype == ember.float64
    m(ember.randn(4, 2, dtype=ember.float64))
    assert m.weight.dtype == m.running_var.dtype == ember.float64
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == ember.float64


def test_lazy_errors():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input"):
        nn.LazyConv2d(2, 3)(ember.randn(2, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv1d(4, 3, groups=2)(ember.randn(1, 3, 5))
    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented"):
        LazyIdentity()(ember.ones(1))


class LazyIdentity(nn.modules.lazy.LazyModuleMixin, nn.Identity):
    """A lazy module that does not define ``initialize_parameters``."""


def test_buffer_assignment_registers_a_buffer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stat = nn.Buffer(ember.ones(2))
            self.scratch = nn.Buffer(ember.zeros(3), persistent=False)
            self.plain = ember.ones(1)  # a plain tensor is an ordinary attribute

    net = Net()
    assert dict(net.named_buffers()).keys() == {"stat", "scratch"}
    assert list(net.state_dict()) == ["stat"]
    assert "plain" not in dict(net.named_buffers())
    net.stat = ember.full((2,), 5.0)  # re-assigning a plain tensor keeps it a buffer
    assert net.state_dict()["stat"].tolist() == [5.0, 5.0]
    net.scratch = ember.ones(3)
    assert list(net.state_dict()) == ["stat"]  # and keeps its persistence
    t = ember.ones(2, requires_grad=True)
    b = nn.Buffer(t)
    assert b.requires_grad and b.is_leaf and b.persistent
    b.data.fill_(3.0)
    assert t.tolist() == [3.0, 3.0]  # shares memory
    with pytest.raises(AttributeError, match=r"before Module\.__init__"):
        Net.__new__(Net).x = nn.Buffer(ember.ones(1))
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        net.plain = nn.Buffer(ember.ones(1))


def test_buffers_move_with_the_module(device):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stat = nn.Buffer(ember.ones(2))
            self.scratch = nn.Buffer(ember.zeros(3), persistent=False)

    net = Net().to(device)
    assert all(b.device.type == device for b in net.buffers())
    assert list(net.state_dict()) == ["stat"]
    net.stat = ember.full((2,), 5.0, device=device)  # still a buffer, still persistent
    net.scratch = ember.ones(3, device=device)
    assert list(net.state_dict()) == ["stat"] and len(list(net.buffers())) == 2
    assert net.cpu().state_dict()["stat"].tolist() == [5.0, 5.0]
    t = ember.ones(2, device=device)
    b = nn.Buffer(t)
    b.data.fill_(3.0)
    assert b.device.type == device and t.tolist() == [3.0, 3.0]  # shares memory


def _adaptive_reference(asm, x, target):
    """numpy: the head's log-softmax, plus each tail's for targets past the shortlist."""

    def log_softmax(z):
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))

    def weight(linear):
        return linear.weight.detach().cpu().numpy().astype(np.float64)

    x = x.astype(np.float64)
    head = log_softmax(x @ weight(asm.head).T + asm.head.bias.detach().cpu().numpy())
    full = [head[:, : asm.shortlist_size]]
    for i, (i2h, h2o) in enumerate(asm.tail):
        tail = log_softmax(x @ weight(i2h).T @ weight(h2o).T)
        full.append(tail + head[:, asm.shortlist_size + i : asm.shortlist_size + i + 1])
    full = np.concatenate(full, axis=1)
    return full, full[np.arange(len(target)), target]


def test_adaptive_log_softmax_against_numpy(device):
    ember.manual_seed(0)
    asm = nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0, head_bias=True).to(device)
    assert [n for n, _ in asm.named_parameters()] == [
        "head.weight",
        "head.bias",
        "tail.0.0.weight",
        "tail.0.1.weight",
        "tail.1.0.weight",
        "tail.1.1.weight",
    ]
    assert asm.tail[0][0].out_features == 4 and asm.tail[1][0].out_features == 2
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 8)).astype(np.float32)
    target = np.array([0, 5, 11, 2, 7, 3])
    full, picked = _adaptive_reference(asm, x, target)
    xt = ember.tensor(x, requires_grad=True, device=device)
    out = asm(xt, ember.tensor(target, device=device))
    assert type(out).__name__ == "_ASMoutput" and out.output.device.type == device
    np.testing.assert_allclose(out.output.detach().cpu().numpy(), picked, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.loss.item(), -picked.mean(), rtol=1e-5)
    out.loss.backward()
    assert xt.grad.shape == (6, 8) and asm.tail[1][1].weight.grad is not None
    assert xt.grad.device.type == device
    log_prob = asm.log_prob(ember.tensor(x, device=device)).detach().cpu().numpy()
    np.testing.assert_allclose(log_prob, full, atol=1e-5)
    predicted = asm.predict(ember.tensor(x, device=device)).cpu().numpy()
    np.testing.assert_array_equal(predicted, full.argmax(1))
    single = asm(ember.tensor(x[1], device=device), ember.tensor(target[1], device=device))
    assert single.output.shape == () and np.isclose(single.output.item(), picked[1], atol=1e-5)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 11\]"):
        asm(xt, ember.tensor([1, 12, 0, 0, 0, 0], device=device))


def test_adaptive_log_softmax_errors():
    with pytest.raises(ValueError, match="larger than 0"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, [])
    for cutoffs in ([5, 3], [0, 3], [3, 10], [3, 3]):
        with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
            nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs)
    asm = nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        asm(ember.randn(2, 4), ember.tensor([1, 10]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        asm(ember.randn(3, 4), ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        asm(ember.randn(2, 4), ember.tensor([[1], [2]]))


def test_sync_batchnorm_in_one_process_is_batchnorm(device):
    ember.manual_seed(0)
    x = ember.randn(4, 3, 5, device=device)
    sync, ref = nn.SyncBatchNorm(3, device=device), nn.BatchNorm1d(3, device=device)
    assert_close(sync(x).detach(), ref(x).detach())
    assert_close(sync.running_var, ref.running_var)
    assert list(sync.state_dict()) == list(ref.state_dict())
    with pytest.raises(ValueError, match="expected at least 2D input"):
        sync(ember.randn(3))
    with pytest.raises(ValueError, match="number of input channels should be non-zero"):
        nn.SyncBatchNorm(0)(ember.randn(2, 0))


def test_convert_sync_batchnorm_shares_state():
    model = nn.Sequential(
        nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=None), nn.Sequential(nn.BatchNorm2d(2))
    )
    model.eval()
    bn = model[1]
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert type(model[1]) is nn.SyncBatchNorm and type(model[2][0]) is nn.SyncBatchNorm
    assert model[1].weight is bn.weight and model[1].running_mean is bn.running_mean
    assert model[1].momentum is None and not model[1].training
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm3d(2, affine=False))
    assert type(single) is nn.SyncBatchNorm and single.weight is None


def test_data_parallel_on_one_process():
    net = nn.Linear(3, 2)
    cpu_net = copy.deepcopy(net)
    dp = nn.DataParallel(net)
    assert dp.module is net
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    x = ember.randn(4, 3)
    assert_close(dp(x).detach().cpu(), cpu_net(x).detach())
    if not ember.cuda.is_available():
        assert dp.device_ids == []


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
def test_data_parallel_runs_on_the_first_gpu():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    cpu_net = copy.deepcopy(net)
    dp = nn.DataParallel(net, device_ids=[0])
    assert dp.device_ids == [0] and dp.output_device == 0
    assert all(t.device == ember.device("cuda", 0) for t in [*net.parameters(), *net.buffers()])
    x = ember.randn(5, 3)  # a CPU input (nested too) is moved to device_ids[0]
    out = dp(x)
    assert out.device == ember.device("cuda", 0)
    assert_close(out.detach().cpu(), cpu_net(x).detach(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert net[0].weight.grad.device.type == "cuda"
    wrapped = nn.DataParallel(_Pair(), device_ids=["cuda"])  # the current device
    assert wrapped.device_ids == [0] and wrapped.src_device_obj == ember.device("cuda", 0)
    first, second = wrapped({"a": [x, x * 2]}, scale=ember.ones(()))
    assert first.device.type == second.device.type == "cuda"
    net.cpu()
    with pytest.raises(
        RuntimeError, match=r"module must have its parameters and buffers on device"
    ):
        dp(x)


class _Pair(nn.Module):
    def forward(self, inputs, scale):
        a, b = inputs["a"]
        return a * scale, b * scale
