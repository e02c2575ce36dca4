"""Tensor creation, dtypes and promotion, metadata, conversions and random numbers."""

import math

import numpy as np
import pytest

import ember
from ember.testing import assert_close

# --------------------------------------------------------------------------------- creation


def test_tensor_infers_torch_dtypes():
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.tensor([1.0, 2]).dtype == ember.float32
    assert ember.tensor([True, False]).dtype == ember.bool
    assert ember.tensor(3).dtype == ember.int64 and ember.tensor(3).shape == ()
    assert ember.tensor(np.zeros(2, np.float64)).dtype == ember.float64
    assert ember.tensor(np.zeros(2, np.uint8)).dtype == ember.uint8
    assert ember.tensor([1, 2], dtype=ember.float16).dtype == ember.float16
    assert ember.tensor([ember.tensor(1.0), ember.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert ember.tensor(np.zeros(2, np.complex128)).dtype == ember.complex128
    with pytest.raises(TypeError, match=r"can't convert np\.ndarray of type numpy\.uint32"):
        ember.tensor(np.zeros(2, np.uint32))


def test_tensor_copies_but_as_tensor_and_from_numpy_share():
    a = np.zeros(3, np.float32)
    t, s, f = ember.tensor(a), ember.as_tensor(a), ember.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 0 if hasattr(ember.ops.indexing, "getitem") else t.tolist()[0] == 0
    assert s.tolist()[0] == 5 and f.tolist()[0] == 5
    f.add_(1)
    assert a[1] == 1
    with pytest.raises(TypeError, match=r"expected np\.ndarray"):
        ember.from_numpy([1, 2])


def test_factories_shapes_dtypes_and_values():
    assert ember.zeros(2, 3).shape == (2, 3) and ember.zeros((2, 3)).dtype == ember.float32
    assert ember.ones([4], dtype=ember.int32).tolist() == [1, 1, 1, 1]
    assert ember.empty(0).shape == (0,)
    assert ember.full((2,), 7).dtype == ember.int64
    assert ember.full((2,), 1.5).tolist() == [1.5, 1.5]
    assert ember.full((1,), True).dtype == ember.bool
    assert ember.arange(5).tolist() == [0, 1, 2, 3, 4] and ember.arange(5).dtype == ember.int64
    assert ember.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert ember.arange(1, 2, 0.25).dtype == ember.float32
    assert ember.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert len(ember.arange(0, 1, 0.1)) == 10
    assert_close(ember.linspace(0, 1, 5), [0.0, 0.25, 0.5, 0.75, 1.0])
    assert ember.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    like = ember.ones(2, 2, dtype=ember.float64)
    assert ember.zeros_like(like).dtype == ember.float64
    assert ember.full_like(like, 3).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert ember.ones_like(like, dtype=ember.int8).dtype == ember.int8
    assert ember.empty_like(like).shape == (2, 2)
    assert ember.zeros(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ember.arange(0, 1, 0)


def test_negative_sizes_are_runtime_errors():
    with pytest.raises(RuntimeError, match=r"zeros: Dimension size must be non-negative\."):
        ember.zeros(-1)
    with pytest.raises(RuntimeError, match=r"zeros: Dimension size must be non-negative\."):
        ember.zeros((2, -3))
    negative = r"Trying to create tensor with negative dimension -1: \[2, -1\]"
    for make in (
        lambda: ember.ones(2, -1),
        lambda: ember.empty((2, -1)),
        lambda: ember.full((2, -1), 1.5),
        lambda: ember.zeros(1).new_ones(2, -1),
    ):
        with pytest.raises(RuntimeError, match=negative):
            make()
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        ember.eye(-1)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0, got -2"):
        ember.eye(3, -2)
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        ember.linspace(0, 1, -1)


def test_legacy_tensor_constructor():
    assert ember.Tensor(2, 3).shape == (2, 3)
    assert ember.Tensor([1, 2]).dtype == ember.float32


def test_default_dtype_is_settable():
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.tensor([1.0]).dtype == ember.float64
        assert ember.zeros(1).dtype == ember.float64
        assert (ember.tensor([1]) + 0.5).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError, match="only floating-point types"):
        ember.set_default_dtype(ember.int64)


# ------------------------------------------------------------------------------- promotion

PROMOTIONS = [
    (ember.int64, 2.5, ember.float32),
    (ember.int32, 2, ember.int32),
    (ember.uint8, 1000, ember.uint8),
    (ember.bool, 1, ember.int64),
    (ember.bool, True, ember.bool),
    (ember.float16, 1.0, ember.float16),
    (ember.float16, 1, ember.float16),
    (ember.int8, ember.uint8, ember.int16),
    (ember.int64, ember.float16, ember.float16),
    (ember.float32, ember.float64, ember.float64),
    (ember.int32, ember.int64, ember.int64),
    (ember.bool, ember.float32, ember.float32),
]


@pytest.mark.parametrize(("a", "b", "expected"), PROMOTIONS, ids=str)
def test_binary_promotion_follows_torch(a, b, expected):
    x = ember.ones(2, dtype=a)
    other = ember.ones(2, dtype=b) if isinstance(b, ember.dtype) else b
    assert (x + other).dtype == expected
    assert ember.result_type(x, other) == expected


def test_zero_dim_tensors_participate_only_by_category():
    assert (
        ember.ones(2, dtype=ember.float16) + ember.tensor(1.0, dtype=ember.float64)
    ).dtype == ember.float16
    assert (
        ember.ones(2, dtype=ember.int32) + ember.tensor(1.0, dtype=ember.float64)
    ).dtype == ember.float64
    assert (ember.ones(2, dtype=ember.uint8) + ember.tensor(5)).dtype == ember.uint8
    assert (
        ember.tensor(1, dtype=ember.int32) + ember.tensor(1, dtype=ember.int64)
    ).dtype == ember.int64
    assert ember.promote_types(ember.uint8, ember.int8) == ember.int16


def test_true_division_and_comparison_dtypes():
    assert (ember.tensor([1, 2]) / 2).dtype == ember.float32
    assert (ember.tensor([1, 2]) / ember.tensor([2, 2])).tolist() == [0.5, 1.0]
    assert (ember.tensor([1, 2]) < 1.5).dtype == ember.bool
    assert (ember.tensor([1, 2]) < 1.5).tolist() == [True, False]


# ------------------------------------------------------------------------ metadata and api


def test_metadata():
    t = ember.zeros(2, 3, 4)
    assert t.shape == ember.Size([2, 3, 4]) and repr(t.shape) == "ember.Size([2, 3, 4])"
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.dim() == t.ndim == 3 and t.numel() == 24 and t.nelement() == 24
    assert t.dtype == ember.float32 and t.device == ember.device("cpu") and t.device == "cpu"
    assert t.stride() == (12, 4, 1) and t.is_contiguous() and t.element_size() == 4
    assert t.T.shape == (4, 3, 2) and t.mT.shape == (2, 4, 3)
    assert not t.is_cuda and t.is_floating_point() and not ember.tensor([1]).is_floating_point()
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.size(3)
    with pytest.raises(RuntimeError, match=r"tensor\.mT is only supported on matrices"):
        _ = ember.zeros(3).mT
    assert len(t) == 2
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))


def test_item_tolist_and_python_conversions():
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ember.tensor([2.5]).item() == 2.5 and isinstance(ember.tensor([2]).item(), int)
    with pytest.raises(
        RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"
    ):
        ember.tensor([1, 2]).item()
    assert float(ember.tensor(1.5)) == 1.5 and int(ember.tensor(3.7)) == 3
    assert [10, 20, 30][ember.tensor(1)] == 20
    assert bool(ember.tensor([1.0])) is True
    with pytest.raises(
        RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"
    ):
        bool(ember.tensor([1, 2]))
    assert np.asarray(ember.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]


def test_dtype_conversions():
    t = ember.tensor([1.7, -2.2])
    assert t.long().tolist() == [1, -2] and t.long().dtype == ember.int64
    assert t.int().dtype == ember.int32 and t.double().dtype == ember.float64
    assert t.half().dtype == ember.float16 and t.bool().tolist() == [True, True]
    assert t.float() is t and t.to(ember.float32) is t
    assert t.to(ember.float64).dtype == ember.float64
    assert t.to("cpu") is t and t.cpu() is t
    assert t.to(ember.ones(1, dtype=ember.int32)).dtype == ember.int32
    assert t.to(dtype=ember.float16, copy=True).dtype == ember.float16
    assert t.to(copy=True) is not t
    assert t.type_as(ember.tensor([1])).dtype == ember.int64
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.double().sum().backward()
    assert x.grad.dtype == ember.float32
    assert (
        ember.float == ember.float32 and ember.long == ember.int64 and ember.half == ember.float16
    )
    assert repr(ember.float32) == "ember.float32"


def test_clone_contiguous_and_copy():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    t = ember.zeros(2, 3).T
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    dst = ember.zeros(2, 2)
    dst.copy_(ember.tensor([1, 2]))
    assert dst.tolist() == [[1.0, 2.0], [1.0, 2.0]]
    src = ember.tensor([1.0, 2.0], requires_grad=True)
    out = ember.zeros(2)
    out.copy_(src)
    (out * 2).sum().backward()
    assert src.grad.tolist() == [2.0, 2.0]


def test_in_place_fills_and_new_factories():
    t = ember.empty(3)
    assert t.fill_(2).tolist() == [2.0] * 3 and t.zero_().tolist() == [0.0] * 3
    n = t.new_ones(2)
    assert n.dtype == ember.float32 and n.tolist() == [1.0, 1.0]
    assert t.new_tensor([1, 2]).dtype == ember.float32
    assert t.new_full((2,), 4).tolist() == [4.0, 4.0]
    assert t.new_zeros((1, 2)).shape == (1, 2)


def test_cuda_requests_fail_clearly_without_a_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    assert ember.cuda.device_count() == 0
    with pytest.raises((AssertionError, RuntimeError)):
        ember.zeros(2).cuda()


def test_device_objects():
    assert str(ember.device("cuda:1")) == "cuda:1"
    assert ember.device("cuda", 0) == ember.device("cuda:0")
    assert repr(ember.device("cpu")) == "device(type='cpu')"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ember.device("tpu")


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
def test_gpu_round_trip_and_mixing_error():
    x = ember.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    assert x.device == ember.device("cuda:0") and x.is_cuda
    y = (x * x).sum()
    y.backward()
    assert x.grad.device.type == "cuda" and x.grad.cpu().tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x + ember.tensor([1.0, 2.0])
    z = ember.tensor([3.0], requires_grad=True)
    z.cuda().sum().backward()
    assert z.grad.device.type == "cpu"
    # a 0-d CPU tensor joins a GPU operation as a scalar, as in torch
    assert (x * ember.tensor(2.0)).device.type == "cuda"
    s = ember.tensor(1.5, device="cuda", requires_grad=True)
    (s**4).backward()
    assert abs(s.grad.item() - 4 * 1.5**3) < 1e-5


# ---------------------------------------------------------------------------------- random


def test_manual_seed_reproduces_every_random_function():
    def draw():
        return [
            ember.rand(3).tolist(),
            ember.randn(2, 2).tolist(),
            ember.randint(0, 10, (4,)).tolist(),
            ember.randperm(5).tolist(),
            ember.empty(3).uniform_(-1, 1).tolist(),
            ember.empty(3).normal_(5, 0.1).tolist(),
        ]

    ember.manual_seed(123)
    first = draw()
    ember.manual_seed(123)
    assert draw() == first


def test_generators_are_independent_and_stateful():
    g1 = ember.Generator().manual_seed(7)
    g2 = ember.Generator().manual_seed(7)
    a = ember.rand(4, generator=g1)
    ember.rand(100)  # the default generator does not disturb g2
    assert ember.rand(4, generator=g2).tolist() == a.tolist()
    state = g1.get_state()
    nxt = ember.randn(3, generator=g1).tolist()
    g1.set_state(state)
    assert ember.randn(3, generator=g1).tolist() == nxt
    assert g1.initial_seed() == 7


def test_random_distributions_and_ranges():
    g = ember.Generator().manual_seed(0)
    u = ember.rand(20000, generator=g).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    n = ember.randn(20000, generator=g, dtype=ember.float64).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    r = ember.randint(3, 7, (5000,), generator=g).numpy()
    assert set(np.unique(r)) == {3, 4, 5, 6}
    assert ember.randint(5, (3,)).max().item() < 5 if hasattr(ember, "max") else True
    p = ember.randperm(10, generator=g).numpy()
    assert sorted(p.tolist()) == list(range(10))
    b = ember.empty(20000).bernoulli_(0.3, generator=g).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    e = ember.empty(20000, dtype=ember.float64).exponential_(2.0, generator=g).numpy()
    assert abs(e.mean() - 0.5) < 0.02
    i = ember.empty(1000, dtype=ember.int64).random_(0, 3, generator=g).numpy()
    assert set(np.unique(i)) == {0, 1, 2}
    h = ember.rand(4, dtype=ember.float16)
    assert h.dtype == ember.float16
    m = ember.multinomial(
        ember.tensor([0.0, 1.0, 3.0]), 2000, replacement=True, generator=g
    ).numpy()
    assert set(np.unique(m)) == {1, 2} and abs((m == 2).mean() - 0.75) < 0.04
    w = ember.multinomial(ember.tensor([1.0, 1.0, 1.0, 0.0]), 3, generator=g).tolist()
    assert sorted(w) == [0, 1, 2]
    nm = ember.normal(ember.zeros(3) + 10.0, 0.001, generator=g)
    assert_close(nm, [10.0] * 3, atol=0.01, rtol=0)
    assert ember.bernoulli(ember.tensor([0.0, 1.0]), generator=g).tolist() == [0.0, 1.0]


def test_randint_argument_forms_and_errors():
    assert ember.randint(10, (2, 3)).shape == (2, 3)
    assert ember.randint(2, 4, (5,)).dtype == ember.int64
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        ember.randint(5, 5, (2,))


def test_random_fill_on_leaf_requiring_grad_errors_outside_no_grad():
    w = ember.empty(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.uniform_()
    with ember.no_grad():
        w.uniform_()
    assert w.requires_grad


def test_erf_matches_math_erf_to_round_off():
    x = np.linspace(-6, 6, 2001)
    got = ember.erf(ember.tensor(x)).numpy()
    ref = np.array([math.erf(v) for v in x])
    assert np.abs(got - ref).max() < 4e-15


def test_tensor_with_dtype_converts_python_data_exactly():
    assert ember.tensor([-1.2], dtype=ember.float64).item() == -1.2
    assert ember.tensor([2**40 + 1], dtype=ember.float64).item() == 2**40 + 1


def test_linspace_computes_like_torch():
    # float32: step rounded to float32, then start + step * i (first half) and
    # end - step * (n - 1 - i) (second half), each rounded once: both ends exact
    start, end, n = np.float32(0.1), np.float32(7.3), 1000
    step = np.float32((end - start) / np.float32(n - 1))
    i = np.arange(n, dtype=np.float64)
    expected = np.where(
        i < n // 2, np.float64(start) + np.float64(step) * i, end - np.float64(step) * (n - 1 - i)
    ).astype(np.float32)
    got = ember.linspace(0.1, 7.3, n).numpy()
    np.testing.assert_array_equal(got, expected)
    assert got[0] == start and got[-1] == end
    # integer results: the ends truncated first, the values truncated toward zero
    assert ember.linspace(-2.7, 7.9, 4, dtype=ember.int64).tolist() == [-2, 1, 4, 7]
    assert ember.linspace(3, 9, 1).tolist() == [3.0]
    assert ember.linspace(3, 9, 0).shape == (0,)


def test_numpy_scalars_keep_their_dtype_and_promote_like_torch():
    assert ember.tensor(np.float64(5.0)).dtype == ember.float64
    assert ember.tensor(np.int32(5)).dtype == ember.int32
    assert ember.tensor(np.bool_(True)).dtype == ember.bool
    assert ember.tensor([np.float64(1.0), 2.0]).dtype == ember.float64
    assert ember.tensor([np.float32(1), 2.0]).dtype == ember.float32  # a Python float: default
    assert ember.tensor([np.int32(1), 2]).dtype == ember.int64
    assert ember.tensor([np.int8(1), 2.5]).dtype == ember.float32
    assert ember.tensor([[np.float16(1)], [1]]).dtype == ember.float16
    assert ember.tensor([np.complex64(1j), 1.0]).dtype == ember.complex64
    # a dtype given converts the Python number directly, not through float32
    assert ember.as_tensor(0.3, dtype=ember.float64).item() == 0.3
    assert ember.tensor(0.3, dtype=ember.float64).item() == 0.3
