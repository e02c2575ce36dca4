"""Parity with torch 2.13: files written by the real ``torch.save`` (zip format, and the legacy
format of ``_use_new_zipfile_serialization=False``) load in ``ember.load`` as
``torch.load(weights_only=True)`` loads them: same structure and types, same tensor values,
dtypes, shapes and grad flags; the same refusals; and model state dicts load into the
matching Ember model and compute what the torch model computes."""

from __future__ import annotations

import pickle
from collections import Counter, OrderedDict

import numpy as np
import pytest
import torch

import ember

LEGACY = [False, True]


def _save(obj, path, legacy):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


def _assert_same(actual, expected, where="obj"):
    """``actual`` (from ember.load) mirrors ``expected`` (from torch.load) all the way down."""
    if isinstance(expected, torch.Tensor):
        kind = ember.nn.Parameter if isinstance(expected, torch.nn.Parameter) else ember.Tensor
        assert type(actual) is kind, where
        assert str(actual.dtype) == str(expected.dtype).replace("torch", "ember"), where
        assert tuple(actual.shape) == tuple(expected.shape), where
        assert actual.requires_grad == expected.requires_grad, where
        wanted = expected.detach().resolve_conj().resolve_neg().contiguous().numpy()
        assert actual.detach().numpy().tobytes() == wanted.tobytes(), where
    elif isinstance(expected, torch.dtype):
        assert str(actual) == str(expected).replace("torch", "ember"), where
    elif isinstance(expected, torch.Size):
        assert type(actual) is ember.Size and tuple(actual) == tuple(expected), where
    elif isinstance(expected, torch.device):
        assert str(actual) == str(expected), where
    elif isinstance(expected, dict):
        assert type(actual) is type(expected), where
        assert list(actual) == list(expected), where
        for key in expected:
            _assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(actual), where
    else:
        assert type(actual) is type(expected) and actual == expected, where


def _both(path, **kwargs):
    return ember.load(path, **kwargs), torch.load(path, weights_only=True, **kwargs)


@pytest.mark.parametrize("legacy", LEGACY)
def test_tensors_views_and_values(tmp_path, legacy):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 6, generator=gen, dtype=torch.float64)
    z = torch.randn(3, 2, generator=gen, dtype=torch.complex64)
    obj = {
        "x": x,
        "transpose": x.t(),
        "row": x[1],
        "strided": x[1:, ::2],
        "expanded": x[0, :3].unsqueeze(0).expand(5, 3),
        "scalar": x[2, 3],
        "empty": x[:0],
        "conj": z.conj(),
        "neg_view": torch._neg_view(z),
        "grad": torch.ones(2, requires_grad=True),
        "param": torch.nn.Parameter(torch.zeros(3)),
        "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False),
    }
    for dtype in (
        torch.float16, torch.float32, torch.int64, torch.int32, torch.int16, torch.int8,
        torch.uint8, torch.bool, torch.complex128,
    ):  # fmt: skip
        obj[str(dtype)] = (torch.randn(2, 3, generator=gen) * 50).to(dtype)
    ember_obj, torch_obj = _both(_save(obj, tmp_path / "t.pt", legacy))
    _assert_same(ember_obj, torch_obj)


@pytest.mark.parametrize("legacy", LEGACY)
def test_plain_values_and_containers(tmp_path, legacy):
    obj = OrderedDict(
        nested={"list": [1, 2.5, "s", None, True], "tuple": (1, (2, 3)), 0: b"bytes"},
        counter=Counter("abca"),
        set={1, 2},
        complex=1 - 2j,
        big=2**80,
        nan=float("nan"),
        dtype=torch.float16,
        size=torch.Size([2, 3]),
        device=torch.device("cpu"),
        raw=bytearray(b"ab"),
    )
    ember_obj, torch_obj = _both(_save(obj, tmp_path / "v.pt", legacy))
    _assert_same(ember_obj, torch_obj)


def test_shared_storage(tmp_path):
    x = torch.arange(12.0)
    obj = {"x": x, "tail": x[6:], "grid": x.view(3, 4), "cols": x.view(3, 4).t()}
    ember_obj, torch_obj = _both(_save(obj, tmp_path / "s.pt", False))
    _assert_same(ember_obj, torch_obj)
    # contiguous views share memory, as torch's do
    ember_obj["tail"].add_(100)
    torch_obj["tail"].add_(100)
    _assert_same(ember_obj["x"], torch_obj["x"])


def _ember_model():
    nn = ember.nn
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10),
    )


def _torch_model():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10),
    )


@pytest.mark.parametrize("legacy", LEGACY)
def test_model_state_dict_loads_into_the_ember_model(tmp_path, legacy):
    torch.manual_seed(0)
    model = _torch_model()
    model(torch.randn(4, 3, 8, 8))  # training-mode forward: BatchNorm running stats move
    model.eval()
    state = ember.load(_save(model.state_dict(), tmp_path / "m.pt", legacy))
    assert type(state) is OrderedDict and list(state) == list(model.state_dict())
    assert state._metadata == model.state_dict()._metadata
    ember_model = _ember_model()
    ember_model.load_state_dict(state)
    ember_model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    actual = ember_model(ember.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_resnet18_state_dict_round_trips_through_torch_save(tmp_path):
    """An Ember ResNet-18's weights, written by torch.save as torchvision's are, load back."""
    models = pytest.importorskip("embervision.models")
    ember.manual_seed(0)
    source = models.resnet18()
    state = OrderedDict(
        (k, torch.from_numpy(v.numpy().copy())) for k, v in source.state_dict().items()
    )
    loaded = ember.load(_save(state, tmp_path / "resnet18-00000000.pth", False))
    target = models.resnet18()
    target.load_state_dict(loaded)
    source.eval()
    target.eval()
    x = ember.randn(1, 3, 32, 32)
    np.testing.assert_array_equal(target(x).detach().numpy(), source(x).detach().numpy())


@pytest.mark.parametrize("legacy", LEGACY)
def test_optimizer_state_dict(tmp_path, legacy):
    torch.manual_seed(0)
    model = _torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True)
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.randn(2, 3, 8, 8)).square().mean().backward()
        optimizer.step()
    path = _save({"optimizer": optimizer.state_dict(), "epoch": 2}, tmp_path / "o.pt", legacy)
    ember_obj, torch_obj = _both(path)
    _assert_same(ember_obj, torch_obj)


def test_map_location_callable_gets_each_storage(tmp_path):
    x = torch.arange(6.0)
    obj = {"a": x, "b": x[2:], "c": torch.ones(2, dtype=torch.int64)}
    path = _save(obj, tmp_path / "m.pt", False)
    seen = []

    def note(storage, location):  # returning None keeps the default placement
        nbytes = storage.nbytes() if isinstance(storage, torch.UntypedStorage) else storage.nbytes
        seen.append((nbytes, location))

    ember_obj = ember.load(path, map_location=note)
    _assert_same(ember_obj, torch.load(path, map_location=note, weights_only=True))
    assert seen == [(24, "cpu"), (16, "cpu")] * 2  # once per storage, in the same order


def test_tensor_attributes(tmp_path):
    tagged = torch.ones(2)
    tagged.tag = "x"
    path = _save([tagged, torch.nn.Parameter(torch.zeros(1))], tmp_path / "a.pt", False)
    assert torch.load(path, weights_only=True)[0].tag == "x"
    with pytest.warns(UserWarning, match=r"dropped the Python attributes \['tag'\]"):
        ember_obj = ember.load(path)
    _assert_same(ember_obj, torch.load(path, weights_only=True))


class Custom:
    pass


@pytest.mark.parametrize("legacy", LEGACY)
def test_refuses_what_torch_refuses(tmp_path, legacy):
    path = _save({"w": torch.ones(1), "custom": Custom()}, tmp_path / "c.pt", legacy)
    shown = f"GLOBAL {__name__}.Custom was not an allowed global by default"
    with pytest.raises(pickle.UnpicklingError, match=shown):
        torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match=shown):
        ember.load(path, weights_only=False)  # Ember never unpickles arbitrary classes


def test_bfloat16_is_refused_clearly(tmp_path):
    path = _save({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.pt", False)
    assert torch.load(path, weights_only=True)["w"].dtype == torch.bfloat16
    with pytest.raises(ValueError, match=r"bfloat16 tensors .* which Ember does not support"):
        ember.load(path)


def test_embervision_builders_take_a_torch_weights_file(tmp_path):
    # weights= reads torchvision's own .pth downloads (here: LeNet-5's state dict through torch)
    from embervision import models

    source = models.lenet5().eval()
    path = tmp_path / "lenet5.pth"
    torch.save(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in source.state_dict().items()}, path
    )
    loaded = models.lenet5(weights=path).eval()
    x = ember.randn(2, 1, 32, 32)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), source(x).detach().numpy())
