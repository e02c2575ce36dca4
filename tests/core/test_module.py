"""nn.Module, Parameter, the containers and nn.utils: registration, traversal, state dicts,
hooks, modes, conversions and reprs, checked against torch's documented behaviour and text."""

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.testing import assert_close


class Net(nn.Module):
    """fc -> seq(Linear, Identity), plus a persistent and a non-persistent buffer."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.seq = nn.Sequential(nn.Linear(3, 3), nn.Identity())
        self.register_buffer("steps", ember.zeros(1, dtype=ember.int64))
        self.register_buffer("scratch", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.seq(self.fc(x))


# ----------------------------------------------------------------------------- Parameter


def test_parameter_is_a_leaf_tensor_sharing_data():
    t = ember.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    t.fill_(5.0)
    assert p.tolist() == [5.0, 5.0]  # same memory
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    # operations on a parameter give plain tensors, like torch
    assert type(p * 2) is ember.Tensor


def test_parameter_repr_and_integer_data():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ember.tensor([1, 2]))
    assert nn.Parameter(ember.tensor([1, 2]), requires_grad=False).dtype == ember.int64


# -------------------------------------------------------------------------- registration


def test_attribute_assignment_registers():
    net = Net()
    assert list(net._parameters) == []
    assert list(net._modules) == ["fc", "seq"]
    assert list(net._buffers) == ["steps", "scratch"]
    net.w = nn.Parameter(ember.ones(2))
    net.plain = ember.ones(2)  # a plain tensor attribute is not state
    assert "w" in net._parameters and "plain" not in net._buffers
    assert net.w is net._parameters["w"]
    net.steps = ember.ones(1, dtype=ember.int64)  # re-assigning a buffer keeps it a buffer
    assert net._buffers["steps"].tolist() == [1]
    # a parameter name may be set to None (declared but absent), not to a plain tensor
    net.w = None
    assert net.w is None and "w" in net._parameters
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' as parameter 'w'"):
        net.w = ember.ones(2)
    with pytest.raises(TypeError, match="as child module 'fc'"):
        net.fc = 3
    # re-assigning a name to another kind moves it
    net.fc = nn.Parameter(ember.ones(1))
    assert "fc" not in net._modules and "fc" in net._parameters


def test_delattr_and_dir():
    net = Net()
    assert {"fc", "seq", "steps", "forward"} <= set(dir(net))
    del net.fc
    del net.steps
    assert "fc" not in net._modules and "steps" not in net._buffers
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc'"):
        net.fc  # noqa: B018
    assert "0" not in dir(nn.Sequential(nn.Identity()))


def test_assignment_before_init_fails():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__"):
        Early()


def test_register_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty string"):
        m.register_buffer("", None)
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        m.register_buffer("forward", ember.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'ember\.FloatTensor' object to parameter"):
        m.register_parameter("p", ember.ones(1))
    with pytest.raises(TypeError, match=r"buffer name should be a string\. Got int"):
        m.register_buffer(1, ember.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'list' object to buffer 'b'"):
        m.register_buffer("b", [1])
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("c", 3)
    m.register_module("sub", nn.Identity())
    assert m.sub is m._modules["sub"]


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("") is net
    assert net.get_submodule("seq.0") is net.seq[0]
    assert net.get_parameter("seq.0.bias") is net.seq[0].bias
    assert net.get_buffer("steps") is net.steps
    with pytest.raises(AttributeError, match="Sequential has no attribute `5`"):
        net.get_submodule("seq.5")
    with pytest.raises(AttributeError, match=r"`weight` is not an nn\.Module"):
        net.get_submodule("fc.weight")
    with pytest.raises(AttributeError, match=r"`fc` is not an nn\.Parameter"):
        net.get_parameter("fc")
    with pytest.raises(AttributeError, match="`training` is not a buffer"):
        net.get_buffer("training")


# ----------------------------------------------------------------------------- traversal


def test_named_members_order_and_prefixes():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc.weight", "fc.bias", "seq.0.weight", "seq.0.bias"]
    assert next(net.named_parameters(prefix="model"))[0] == "model.fc.weight"
    assert list(net.named_parameters(recurse=False)) == []
    assert [p is q for p, q in zip(net.parameters(), (net.fc.weight, net.fc.bias))] == [True] * 2
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "seq", "seq.0", "seq.1"]
    assert [n for n, _ in net.named_children()] == ["fc", "seq"]
    assert list(net.children()) == [net.fc, net.seq]
    assert len(list(net.modules())) == 5


def test_shared_members_are_yielded_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Identity(), shared)
    assert len(list(model.parameters())) == 2
    names = [n for n, _ in model.named_parameters(remove_duplicate=False)]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in model.named_children()] == ["0", "1"]
    # one tensor registered under two names in one module
    m = nn.Module()
    m.a = m.b = nn.Parameter(ember.ones(1))
    assert [n for n, _ in m.named_parameters()] == ["a"]
    # state_dict keeps every name (torch does too)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "Identity", "Sequential", "Net"]


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)


def test_requires_grad_and_zero_grad():
    net = Net()
    net(ember.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match=r"Module \[Module\] is missing the required"):
        nn.Module()(1)


def test_deepcopy_gives_independent_parameters():
    net = Net()
    clone = copy.deepcopy(net)
    assert isinstance(clone.fc.weight, nn.Parameter) and clone.fc.weight is not net.fc.weight
    assert_close(clone.fc.weight, net.fc.weight)
    with ember.no_grad():
        clone.fc.weight.fill_(0.0)
    assert net.fc.weight.abs().sum().item() > 0


# ----------------------------------------------------------------------- device and dtype


def test_to_dtype_casts_floating_state_in_place():
    net = Net()
    weight = net.fc.weight
    net(ember.ones(1, 2)).sum().backward()
    assert net.to(ember.float64) is net
    assert net.fc.weight is weight  # same Parameter: optimisers keep working
    assert weight.dtype == ember.float64 and weight.grad.dtype == ember.float64
    assert net.steps.dtype == ember.int64  # integer buffers keep their dtype
    assert net.scratch.dtype == ember.float64
    assert net(ember.ones(1, 2, dtype=ember.float64)).dtype == ember.float64
    net.float()
    assert weight.dtype == ember.float32 and net.steps.dtype == ember.int64
    net.half()
    assert weight.dtype == ember.float16
    net.to(dtype=ember.float64)
    assert weight.dtype == ember.float64
    net.to(ember.zeros(1))  # dtype (and device) of a tensor
    assert weight.dtype == ember.float32
    net.to("cpu", ember.float64)
    assert weight.dtype == ember.float64
    net.double().cpu()
    assert weight.device == ember.device("cpu")
    with pytest.raises(TypeError, match=r"nn\.Module\.to only accepts floating point"):
        net.to(ember.int32)
    net.type(ember.float32)  # type() converts every tensor, integer ones included
    assert net.steps.dtype == ember.float32


def test_to_device(device):
    net = Net().to(device)
    assert net.fc.weight.device.type == ember.device(device).type
    assert net.steps.device.type == ember.device(device).type
    x = ember.ones(3, 2, device=device)
    assert net(x).device.type == ember.device(device).type
    # a checkpoint saved on the CPU loads into a model on the device
    cpu_state = {k: v.cpu() * 0 for k, v in net.state_dict().items()}
    net.load_state_dict(cpu_state)
    assert net.fc.weight.abs().sum().item() == 0
    assert net.fc.weight.device.type == ember.device(device).type
    net.cpu()
    assert net.fc.weight.device == ember.device("cpu")


# ---------------------------------------------------------------------------- state dict


def test_state_dict_keys_shapes_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    # persistent buffers only; parameters first within each module
    assert list(sd) == ["steps", "fc.weight", "fc.bias", "seq.0.weight", "seq.0.bias"]
    assert [tuple(v.shape) for v in sd.values()] == [(1,), (3, 2), (3,), (3, 3), (3,)]
    assert not any(v.requires_grad for v in sd.values())
    assert type(sd["fc.weight"]) is ember.Tensor
    with ember.no_grad():
        net.fc.bias.fill_(7.0)
    assert sd["fc.bias"].tolist() == [7.0] * 3  # detached views share memory
    assert net.state_dict(keep_vars=True)["fc.weight"] is net.fc.weight
    assert next(iter(net.state_dict(prefix="m."))) == "m.steps"


def test_sequential_state_dict_keys():
    model = nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1, bias=False))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight"]


def test_load_state_dict_copies_in_place():
    src, dst = Net(), Net()
    with ember.no_grad():
        src.steps.fill_(5)
    weight = dst.fc.weight
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert dst.fc.weight is weight and weight.requires_grad
    for key, value in src.state_dict().items():
        assert_close(dst.state_dict()[key], value)
    # the copy is a copy: changing the source afterwards leaves the destination alone
    with ember.no_grad():
        src.fc.weight.fill_(0.0)
    assert dst.fc.weight.abs().sum().item() > 0


def test_load_state_dict_converts_dtype():
    m = nn.Linear(2, 2)
    sd = {k: v.double() * 0 + 1 for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    assert m.weight.dtype == ember.float32 and m.weight.tolist() == [[1.0, 1.0]] * 2


def test_load_state_dict_strict_errors():
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict({"weight": sd["weight"], "extra": ember.ones(1)})
    assert str(err.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        '\tMissing key(s) in state_dict: "bias". \n'
        '\tUnexpected key(s) in state_dict: "extra". '
    )
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict({"weight": ember.ones(3, 3), "bias": sd["bias"]})
    assert str(err.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        "\tsize mismatch for weight: copying a param with shape ember.Size([3, 3]) from "
        "checkpoint, the shape in current model is ember.Size([3, 2])."
    )
    # size mismatches are errors even when strict=False
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict({"weight": ember.ones(3, 3)}, strict=False)


def test_load_state_dict_non_strict_reports_keys():
    net = Net()
    sd = net.state_dict()
    del sd["seq.0.bias"]
    sd["seq.5.weight"] = ember.ones(1)
    sd["fc.extra"] = ember.ones(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["seq.0.bias"]
    assert result.unexpected_keys == ["fc.extra", "seq.5.weight"]
    assert result == (["seq.0.bias"], ["fc.extra", "seq.5.weight"])
    assert repr(result).startswith("_IncompatibleKeys(missing_keys=['seq.0.bias']")


def test_load_state_dict_assign_replaces_parameters():
    m = nn.Linear(2, 2)
    weight = m.weight
    new = {"weight": ember.zeros(2, 2), "bias": ember.zeros(2)}
    m.load_state_dict(new, assign=True)
    assert m.weight is not weight and isinstance(m.weight, nn.Parameter)
    assert m.weight.requires_grad
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])


# --------------------------------------------------------------------------------- hooks


def test_forward_hooks_modify_inputs_and_outputs():
    m = nn.Identity()
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
    h3 = m.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    assert m(ember.tensor(3.0)).item() == 7.0
    assert calls == ["first"]
    h1.remove()
    assert m(ember.tensor(3.0)).item() == 4.0
    h2.remove()
    h3.remove()
    assert m(ember.tensor(3.0)).item() == 3.0
    # a bare (non-tuple) return of a pre-hook becomes the single argument
    with m.register_forward_pre_hook(lambda mod, args: args[0] - 1):
        assert m(ember.tensor(3.0)).item() == 2.0
    assert m(ember.tensor(3.0)).item() == 3.0  # the with-block removed it


def test_forward_hooks_with_kwargs():
    class Scale(nn.Module):
        def forward(self, x, *, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: (args, {**kwargs, "factor": 10.0}), with_kwargs=True
    )
    seen = {}
    m.register_forward_hook(
        lambda mod, args, kwargs, out: seen.update(kwargs=kwargs, out=out.item()),
        with_kwargs=True,
    )
    assert m(ember.tensor(2.0), factor=3.0).item() == 20.0
    assert seen == {"kwargs": {"factor": 10.0}, "out": 20.0}
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m(ember.tensor(2.0))


def test_full_backward_hook_sees_and_replaces_gradients():
    class Mul(nn.Module):
        def forward(self, a, b):
            return a * b

    m = Mul()
    seen = []

    def hook(module, grad_input, grad_output):
        seen.append((grad_input, grad_output))
        return (grad_input[0] * 10, grad_input[1])

    m.register_full_backward_hook(hook)
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0])  # needs no gradient
    (m(a, b) * ember.tensor([1.0, -1.0])).sum().backward()
    ((grad_input, grad_output),) = seen
    assert grad_output[0].tolist() == [1.0, -1.0]
    # an input that needs no gradient gets zeros (as in torch) when another one does
    assert grad_input[0].tolist() == [3.0, -4.0] and grad_input[1].tolist() == [0.0, 0.0]
    assert a.grad.tolist() == [30.0, -40.0]


def test_full_backward_hook_without_input_gradients():
    lin = nn.Linear(2, 1)
    seen = []
    handle = lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    with pytest.warns(UserWarning, match="since no inputs require gradients"):
        lin(ember.ones(1, 2)).sum().backward()
    assert seen[0][0] == (None,) and seen[0][1][0].tolist() == [[1.0]]
    handle.remove()
    lin(ember.ones(1, 2)).sum().backward()
    assert len(seen) == 1


# --------------------------------------------------------------------------------- reprs


def test_reprs_match_torch():
    model = nn.Sequential(nn.Linear(2, 3), nn.Identity())
    assert repr(model) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): Identity()\n)"
    )
    assert repr(Net()) == (
        "Net(\n"
        "  (fc): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (seq): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=3, bias=True)\n"
        "    (1): Identity()\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.Linear(4, 1, bias=False)) == "Linear(in_features=4, out_features=1, bias=False)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"


def test_multiline_extra_repr():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.child = nn.Identity()

        def extra_repr(self):
            return "alpha=1\nbeta=2"

    assert repr(Custom()) == "Custom(\n  alpha=1\n  beta=2\n  (child): Identity()\n)"


def test_module_list_repr_compresses_repeats():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.Identity()])
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): Identity()\n"
        ")"
    )
    nested = nn.ModuleList([nn.Sequential(nn.Identity()), nn.Sequential(nn.Identity())])
    assert repr(nested) == "ModuleList(\n  (0-1): 2 x Sequential(\n    (0): Identity()\n  )\n)"
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_parameter_container_reprs():
    plist = nn.ParameterList([nn.Parameter(ember.zeros(2, 3)), ember.zeros(4), "x"])
    assert repr(plist) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [ember.float32 of size 2x3]\n"
        "    (1): Parameter containing: [ember.float32 of size 4]\n"
        "    (2): Object of type: str\n"
        ")"
    )
    pdict = nn.ParameterDict({"b": ember.zeros(2, dtype=ember.float64), "a": ember.zeros(1)})
    assert repr(pdict) == (
        "ParameterDict(\n"
        "    (a): Parameter containing: [ember.FloatTensor of size 1]\n"
        "    (b): Parameter containing: [ember.DoubleTensor of size 2]\n"
        ")"
    )


# ---------------------------------------------------------------------------- containers


def test_sequential_indexing_and_editing():
    a, b, c = nn.Linear(1, 1), nn.Identity(), nn.Linear(1, 2)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    head = seq[:2]
    assert type(head) is nn.Sequential and list(head) == [a, b]
    assert list(head._modules) == ["0", "1"]
    assert list(seq[1:]._modules) == ["1", "2"]  # slices keep the keys
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    d = nn.Identity()
    seq.append(d)
    assert seq[3] is d
    assert seq.pop(1) is b
    assert list(seq._modules) == ["0", "1", "2"] and list(seq) == [a, c, d]
    seq.insert(0, b)
    assert list(seq) == [b, a, c, d]
    seq.insert(-1, b)
    assert list(seq) == [b, a, c, b, d]
    del seq[1:3]
    assert list(seq) == [b, b, d]
    seq[0] = a
    assert seq[0] is a
    seq.extend([c])
    assert list(seq) == [a, b, d, c]
    both = nn.Sequential(a) + nn.Sequential(b)
    assert list(both) == [a, b]
    with pytest.raises(AssertionError, match="module should be of type"):
        seq.insert(0, 3)
    with pytest.raises(IndexError, match="Index out of range: 9"):
        seq.insert(9, a)


def test_sequential_from_ordered_dict_and_forward():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 4)), ("flat", nn.Flatten(0))]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]
    assert seq.fc is seq[0]
    assert seq(ember.ones(3, 2)).shape == (12,)


def test_module_list():
    a, b, c = nn.Identity(), nn.Linear(1, 1), nn.Identity()
    layers = nn.ModuleList([a, b])
    layers.append(c)
    assert list(layers) == [a, b, c] and layers[-1] is c
    assert list(layers[1:]) == [b, c] and type(layers[1:]) is nn.ModuleList
    layers.insert(1, c)
    assert list(layers) == [a, c, b, c]
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2"] and layers[0] is c
    layers += [a]
    assert len(layers) == 4 and layers.pop(-1) is a
    layers[0] = b
    assert layers[0] is b
    assert list(layers + nn.ModuleList([a])) == [b, b, c, a]
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match=r"ModuleList\.extend should be called with an iterable"):
        layers.extend(3)
    with pytest.raises(IndexError, match="index -9 is out of range"):
        layers[-9]


def test_module_dict():
    d = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Identity()})
    assert list(d) == ["b", "a"]  # insertion order (unlike ParameterDict)
    d["c"] = nn.Identity()
    d.update([("z", nn.Identity())])
    assert list(d.keys()) == ["b", "a", "c", "z"] and "c" in d and len(d) == 4
    assert d.pop("a") is not None and "a" not in d
    del d["c"]
    assert [k for k, _ in d.items()] == ["b", "z"]
    assert list(d.state_dict()) == ["b.weight", "b.bias"]
    with pytest.raises(ValueError, match="element #0 has length 1; 2 is required"):
        d.update([("x",)])
    d.clear()
    assert len(d) == 0


def test_parameter_list():
    plist = nn.ParameterList([ember.ones(2)])
    assert isinstance(plist[0], nn.Parameter)  # tensors are wrapped
    plist.append(nn.Parameter(ember.zeros(3)))
    plist.extend([ember.ones(1)])
    assert len(plist) == 3 and [tuple(p.shape) for p in plist] == [(2,), (3,), (1,)]
    assert [n for n, _ in plist.named_parameters()] == ["0", "1", "2"]
    assert len(plist[1:]) == 2 and plist[-1] is plist[2]
    holder = nn.Module()
    holder.ps = plist
    assert list(holder.state_dict()) == ["ps.0", "ps.1", "ps.2"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        plist()
    with pytest.raises(TypeError, match=r"ParameterList\.extend should be called with an iterable"):
        plist.extend(ember.ones(2))


def test_parameter_dict():
    pdict = nn.ParameterDict({"b": ember.ones(1), "a": ember.ones(2)})
    assert list(pdict) == ["a", "b"]  # a plain dict is added in sorted order, as in torch
    ordered = nn.ParameterDict(OrderedDict([("b", ember.ones(1)), ("a", ember.ones(2))]))
    assert list(ordered.keys()) == ["b", "a"]
    assert isinstance(pdict["a"], nn.Parameter)
    assert pdict.get("zz") is None and "a" in pdict
    pdict["c"] = nn.Parameter(ember.zeros(1))
    assert pdict.setdefault("c") is pdict["c"]
    assert [n for n, _ in pdict.named_parameters()] == ["a", "b", "c"]
    key, value = pdict.popitem()
    assert key == "c" and isinstance(value, nn.Parameter) and "c" not in pdict
    assert pdict.pop("a").shape == (2,)
    assert next(iter(pdict.values())) is pdict["b"]
    merged = pdict | nn.ParameterDict({"d": ember.ones(1)})
    assert list(merged) == ["b", "d"] and list(pdict) == ["b"]
    with pytest.raises(TypeError, match="cannot be used as a key as it is not a string"):
        pdict[1] = ember.ones(1)
    pdict.clear()
    assert len(pdict) == 0


# ------------------------------------------------------------------------------ nn.utils


def _with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(ember.zeros(len(g)))
        p.grad = ember.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_by_total_norm():
    params = _with_grads([3.0, 0.0], [0.0, 4.0])  # total 2-norm 5
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    assert_close(params[0].grad, ember.tensor([3.0 * coef, 0.0]))
    assert_close(params[1].grad, ember.tensor([0.0, 4.0 * coef]))
    # below the limit nothing changes
    params = _with_grads([0.3, 0.4])
    assert nn.utils.clip_grad_norm_(iter(params), 1.0).item() == pytest.approx(0.5)
    assert params[0].grad.tolist() == pytest.approx([0.3, 0.4])


def test_clip_grad_norm_other_norms():
    params = _with_grads([1.0, -6.0], [2.0])
    total = nn.utils.clip_grad_norm_(params, 3.0, norm_type=math.inf)
    assert total.item() == pytest.approx(6.0)
    assert params[0].grad.tolist() == pytest.approx([0.5, -3.0], rel=1e-5)
    params = _with_grads([1.0, -2.0], [3.0])
    total = nn.utils.clip_grad_norm_(params[0], 100.0, norm_type=1)  # one tensor
    assert total.item() == pytest.approx(3.0)
    assert nn.utils.clip_grad_norm_([nn.Parameter(ember.ones(1))], 1.0).item() == 0.0
    params = _with_grads([float("inf")])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_empty_generator_warns():
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_value():
    params = _with_grads([-3.0, 0.5, 2.0])
    nn.utils.clip_grad_value_(params, 1.0)
    assert params[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_vector_round_trip():
    m = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(m.parameters())
    expected = np.concatenate([m.weight.detach().numpy().ravel(), m.bias.detach().numpy()])
    assert_close(vec, expected)
    new = ember.arange(8, dtype=ember.float32)
    weight = m.weight
    nn.utils.vector_to_parameters(new, m.parameters())
    assert m.weight is weight
    assert m.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert m.bias.tolist() == [6.0, 7.0]
    with pytest.raises(TypeError, match=r"expected ember\.Tensor"):
        nn.utils.vector_to_parameters([1.0], m.parameters())
