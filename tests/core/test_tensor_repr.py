"""``repr(tensor)`` character for character as torch prints it (expected strings are torch's
output, with ``torch.`` written ``ember.``)."""

import pytest

import ember
from ember import _tensor_str

NAN, INF = float("nan"), float("inf")
T = ember.tensor


def _lines(*lines):
    return "\n".join(lines)


CASES = [
    # common width, integer-valued floats print as "1."
    (lambda: T([[1.0, 2.0], [3.0, 10.0]]), _lines("tensor([[ 1.,  2.],", "        [ 3., 10.]])")),
    (lambda: T([1.0, 100.0, 1000.0]), "tensor([   1.,  100., 1000.])"),
    (lambda: T([0.0, 0.0]), "tensor([0., 0.])"),
    (lambda: T([-0.0, 1.0]), "tensor([-0., 1.])"),
    (lambda: T([1e8]), "tensor([100000000.])"),
    # fixed point, 4 decimals
    (lambda: T([0.1, 1.0]), "tensor([0.1000, 1.0000])"),
    (lambda: T([-1.0, 2.5]), "tensor([-1.0000,  2.5000])"),
    (lambda: T([0.0, 0.5]), "tensor([0.0000, 0.5000])"),
    (lambda: T([1.23456789e-3, 1.0]), "tensor([0.0012, 1.0000])"),
    (lambda: T([0.99999, 1.0]), "tensor([1.0000, 1.0000])"),
    # scientific: ratio > 1000, max > 1e8 or min < 1e-4
    (lambda: T([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: T([1.0, 1001.0]), "tensor([1.0000e+00, 1.0010e+03])"),
    (lambda: T([0.5, 600.0]), "tensor([5.0000e-01, 6.0000e+02])"),
    (lambda: T([1e9, 1.5]), "tensor([1.0000e+09, 1.5000e+00])"),
    (lambda: T([123456789.0]), "tensor([1.2346e+08])"),
    (lambda: T([-1e-5, 1e3]), "tensor([-1.0000e-05,  1.0000e+03])"),
    (lambda: ember.full((3,), 1e-4), "tensor([1.0000e-04, 1.0000e-04, 1.0000e-04])"),
    # nan and inf
    (lambda: T([NAN, 1.0, INF, -INF]), "tensor([nan, 1., inf, -inf])"),
    (lambda: T([0.5, NAN]), "tensor([0.5000,    nan])"),
    (lambda: T([1.5, 1e9, NAN]), "tensor([1.5000e+00, 1.0000e+09,        nan])"),
    # 0-d
    (lambda: T(3.5), "tensor(3.5000)"),
    (lambda: T(3.0), "tensor(3.)"),
    (lambda: T(-0.0), "tensor(-0.)"),
    (lambda: T(1e-7), "tensor(1.0000e-07)"),
    (lambda: T(NAN), "tensor(nan)"),
    (lambda: T(3), "tensor(3)"),
    (lambda: T(True), "tensor(True)"),
    (lambda: T(-7, dtype=ember.int32), "tensor(-7, dtype=ember.int32)"),
    # integers and bools
    (
        lambda: T([[-1, 2], [300, -4000]]),
        _lines("tensor([[   -1,     2],", "        [  300, -4000]])"),
    ),
    (lambda: T([1, 10**12]), "tensor([            1, 1000000000000])"),
    (lambda: T([True, False]), "tensor([ True, False])"),
    (
        lambda: T([[True, False], [False, True]]),
        _lines("tensor([[ True, False],", "        [False,  True]])"),
    ),
    # dtype suffix: only for dtypes other than the default float, int64 and bool
    (lambda: T([1.0, 2.0], dtype=ember.float64), "tensor([1., 2.], dtype=ember.float64)"),
    (lambda: T([0.1, 2.0], dtype=ember.float16), "tensor([0.1000, 2.0000], dtype=ember.float16)"),
    (lambda: T([NAN, 0.25], dtype=ember.float16), "tensor([   nan, 0.2500], dtype=ember.float16)"),
    (lambda: T([1, 200], dtype=ember.uint8), "tensor([  1, 200], dtype=ember.uint8)"),
    (lambda: T([-1, 2], dtype=ember.int8), "tensor([-1,  2], dtype=ember.int8)"),
    # empty tensors: size unless 1-D, dtype unless the default float
    (lambda: T([]), "tensor([])"),
    (lambda: ember.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: ember.zeros(2, 3, 0), "tensor([], size=(2, 3, 0))"),
    (lambda: ember.zeros(0, dtype=ember.int64), "tensor([], dtype=ember.int64)"),
    (lambda: ember.zeros(0, dtype=ember.bool), "tensor([], dtype=ember.bool)"),
    (
        lambda: ember.zeros(2, 0, dtype=ember.float64),
        "tensor([], size=(2, 0), dtype=ember.float64)",
    ),
    # nesting: one blank line per dimension between blocks
    (
        lambda: ember.arange(8.0).reshape(2, 2, 2),
        _lines(
            "tensor([[[0., 1.],",
            "         [2., 3.]],",
            "",
            "        [[4., 5.],",
            "         [6., 7.]]])",
        ),
    ),
    (
        lambda: ember.arange(16).reshape(2, 2, 2, 2),
        _lines(
            "tensor([[[[ 0,  1],",
            "          [ 2,  3]],",
            "",
            "         [[ 4,  5],",
            "          [ 6,  7]]],",
            "",
            "",
            "        [[[ 8,  9],",
            "          [10, 11]],",
            "",
            "         [[12, 13],",
            "          [14, 15]]]])",
        ),
    ),
    (
        lambda: ember.arange(5.0).reshape(5, 1),
        _lines(
            "tensor([[0.],", "        [1.],", "        [2.],", "        [3.],", "        [4.]])"
        ),
    ),
    # wrapping at 80 characters
    (
        lambda: ember.arange(30.0) / 7,
        _lines(
            "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,",
            "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,",
            "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,",
            "        3.8571, 4.0000, 4.1429])",
        ),
    ),
    (
        lambda: ember.arange(40).reshape(2, 20) * 1000,
        _lines(
            "tensor([[    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,",
            "         10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000],",
            "        [20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,",
            "         30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000]])",
        ),
    ),
    # summarised: more than 1000 elements, 3 edge items; the format comes from those shown
    (lambda: ember.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (lambda: ember.arange(1001), "tensor([   0,    1,    2,  ...,  998,  999, 1000])"),
    (
        lambda: ember.arange(1001.0) * 0.5,
        "tensor([  0.0000,   0.5000,   1.0000,  ..., 499.0000, 499.5000, 500.0000])",
    ),
    (
        lambda: ember.arange(2000) % 2 == 0,
        "tensor([ True, False,  True,  ..., False,  True, False])",
    ),
    (
        lambda: ember.arange(3000.0).reshape(1000, 3),
        _lines(
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00],",
            "        [3.0000e+00, 4.0000e+00, 5.0000e+00],",
            "        [6.0000e+00, 7.0000e+00, 8.0000e+00],",
            "        ...,",
            "        [2.9910e+03, 2.9920e+03, 2.9930e+03],",
            "        [2.9940e+03, 2.9950e+03, 2.9960e+03],",
            "        [2.9970e+03, 2.9980e+03, 2.9990e+03]])",
        ),
    ),
    (
        lambda: ember.arange(2000.0).reshape(2, 1000) / 3,
        _lines(
            "tensor([[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 3.3233e+02, 3.3267e+02,",
            "         3.3300e+02],",
            "        [3.3333e+02, 3.3367e+02, 3.3400e+02,  ..., 6.6567e+02, 6.6600e+02,",
            "         6.6633e+02]])",
        ),
    ),
    (
        lambda: ember.arange(3000).reshape(10, 10, 30),
        _lines(
            "tensor([[[   0,    1,    2,  ...,   27,   28,   29],",
            "         [  30,   31,   32,  ...,   57,   58,   59],",
            "         [  60,   61,   62,  ...,   87,   88,   89],",
            "         ...,",
            "         [ 210,  211,  212,  ...,  237,  238,  239],",
            "         [ 240,  241,  242,  ...,  267,  268,  269],",
            "         [ 270,  271,  272,  ...,  297,  298,  299]],",
            "",
            "        [[ 300,  301,  302,  ...,  327,  328,  329],",
            "         [ 330,  331,  332,  ...,  357,  358,  359],",
            "         [ 360,  361,  362,  ...,  387,  388,  389],",
            "         ...,",
            "         [ 510,  511,  512,  ...,  537,  538,  539],",
            "         [ 540,  541,  542,  ...,  567,  568,  569],",
            "         [ 570,  571,  572,  ...,  597,  598,  599]],",
            "",
            "        [[ 600,  601,  602,  ...,  627,  628,  629],",
            "         [ 630,  631,  632,  ...,  657,  658,  659],",
            "         [ 660,  661,  662,  ...,  687,  688,  689],",
            "         ...,",
            "         [ 810,  811,  812,  ...,  837,  838,  839],",
            "         [ 840,  841,  842,  ...,  867,  868,  869],",
            "         [ 870,  871,  872,  ...,  897,  898,  899]],",
            "",
            "        ...,",
            "",
            "        [[2100, 2101, 2102,  ..., 2127, 2128, 2129],",
            "         [2130, 2131, 2132,  ..., 2157, 2158, 2159],",
            "         [2160, 2161, 2162,  ..., 2187, 2188, 2189],",
            "         ...,",
            "         [2310, 2311, 2312,  ..., 2337, 2338, 2339],",
            "         [2340, 2341, 2342,  ..., 2367, 2368, 2369],",
            "         [2370, 2371, 2372,  ..., 2397, 2398, 2399]],",
            "",
            "        [[2400, 2401, 2402,  ..., 2427, 2428, 2429],",
            "         [2430, 2431, 2432,  ..., 2457, 2458, 2459],",
            "         [2460, 2461, 2462,  ..., 2487, 2488, 2489],",
            "         ...,",
            "         [2610, 2611, 2612,  ..., 2637, 2638, 2639],",
            "         [2640, 2641, 2642,  ..., 2667, 2668, 2669],",
            "         [2670, 2671, 2672,  ..., 2697, 2698, 2699]],",
            "",
            "        [[2700, 2701, 2702,  ..., 2727, 2728, 2729],",
            "         [2730, 2731, 2732,  ..., 2757, 2758, 2759],",
            "         [2760, 2761, 2762,  ..., 2787, 2788, 2789],",
            "         ...,",
            "         [2910, 2911, 2912,  ..., 2937, 2938, 2939],",
            "         [2940, 2941, 2942,  ..., 2967, 2968, 2969],",
            "         [2970, 2971, 2972,  ..., 2997, 2998, 2999]]])",
        ),
    ),
    # autograd suffixes, wrapped to a new line when they would pass 80 characters
    (lambda: T([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: T(2.0, requires_grad=True), "tensor(2., requires_grad=True)"),
    (lambda: T([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    (lambda: T([1.0, 2.0], requires_grad=True) + 1, "tensor([2., 3.], grad_fn=<AddBackward0>)"),
    (
        lambda: ember.ones(18, dtype=ember.float64, requires_grad=True),
        _lines(
            "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],",
            "       dtype=ember.float64, requires_grad=True)",
        ),
    ),
    (
        lambda: ember.ones(12, dtype=ember.float64, requires_grad=True) * 1.5,
        _lines(
            "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000,",
            "        1.5000, 1.5000, 1.5000], dtype=ember.float64, grad_fn=<MulBackward0>)",
        ),
    ),
]


@pytest.mark.parametrize(("make", "expected"), CASES)
def test_repr_matches_torch(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


def test_device_suffix(device):
    t = T([1.0, 2.0], device=device)
    expected = "tensor([1., 2.])" if device == "cpu" else "tensor([1., 2.], device='cuda:0')"
    assert repr(t) == expected
    if device == "cuda":
        t = ember.zeros(0, 2, device=device)
        assert repr(t) == "tensor([], device='cuda:0', size=(0, 2))"
        t = ember.arange(2000.0, device=device).reshape(2, 1000)
        assert repr(t).endswith("1.9990e+03]], device='cuda:0')")


def test_default_dtype_decides_the_dtype_suffix():
    ember.set_default_dtype(ember.float64)
    try:
        assert repr(T([1.0, 2.0])) == "tensor([1., 2.])"
        assert repr(T([1.0, 2.0], dtype=ember.float32)) == "tensor([1., 2.], dtype=ember.float32)"
        assert repr(T([])) == "tensor([])"
    finally:
        ember.set_default_dtype(ember.float32)


def test_set_printoptions():
    try:
        _tensor_str.set_printoptions(precision=2)
        assert repr(T([1.12345])) == "tensor([1.12])"
        _tensor_str.set_printoptions(threshold=5)
        assert repr(ember.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
        _tensor_str.set_printoptions(profile="default", sci_mode=True)
        assert repr(T([0.5, 2.0])) == "tensor([5.0000e-01, 2.0000e+00])"
        _tensor_str.set_printoptions(profile="full")
        assert "..." not in repr(ember.arange(2000))
    finally:
        _tensor_str.set_printoptions(profile="default")
    assert repr(T([1.12345])) == "tensor([1.1235])"


def test_format_of_a_number_and_of_a_tensor():
    assert f"{ember.tensor(2.5)}" == "2.5" and f"{ember.tensor(2.5):.2f}" == "2.50"
    assert f"{ember.tensor(3)}" == "3" and f"{ember.tensor(True)}" == "True"
    assert f"{ember.tensor([1.0, 2.0])}" == repr(ember.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        f"{ember.tensor([1.0, 2.0]):.2f}"


def test_size_slices_and_sums_stay_sizes():
    s = ember.zeros(1, 2, 3).shape
    assert isinstance(s[1:], ember.Size) and s[1:] == (2, 3) and s[-1] == 3
    assert isinstance(s + (4,), ember.Size) and isinstance((0,) + s, ember.Size)
    assert repr(s[:2] * 2) == "ember.Size([1, 2, 1, 2])"
    with pytest.raises(TypeError):
        [0] + s
