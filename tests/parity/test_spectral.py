"""Parity of complex tensors, ``ember.fft``, ``stft``/``istft`` and the window functions.

The harness compares real outputs and the gradients of every input, complex ones included;
complex outputs are compared through ``view_as_real``, so their gradients are checked too.
"""

from __future__ import annotations

import numpy as np
import pytest

NORMS = [None, "backward", "ortho", "forward"]


def _complex(parity, *shape, dtype=np.complex128):
    return (
        parity.randn(*shape, dtype=np.float64) + 1j * parity.randn(*shape, dtype=np.float64)
    ).astype(dtype)


def _real_view(fw, out):
    return fw.view_as_real(out.resolve_conj()) if out.is_complex() else out


# ------------------------------------------------------------------------ complex tensors


@pytest.mark.parametrize("real", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("cplx", ["complex64", "complex128"])
def test_promotion_grid(parity, real, cplx):
    a = parity.randn(3, dtype=np.float64).astype(real)
    z = _complex(parity, 3, dtype=cplx)
    for op in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: y / (x + 2)):
        parity.check(lambda fw, a, z, op=op: _real_view(fw, op(a, z)), a, z)
        parity.check(lambda fw, a, z, op=op: _real_view(fw, op(a[0], z)), a, z)


@pytest.mark.parametrize("scalar", [1j, 2.5, 3, 1 + 2j])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_scalars(parity, scalar, dtype):
    x = parity.randn(4, dtype=dtype)
    parity.check(lambda fw, x: _real_view(fw, x * scalar), x)
    z = _complex(parity, 4, dtype=np.complex64)
    parity.check(lambda fw, z: _real_view(fw, z * scalar + scalar), z)


UNARY = {
    "neg": lambda fw, z: -z,
    "exp": lambda fw, z: z.exp(),
    "log": lambda fw, z: z.log(),
    "sqrt": lambda fw, z: z.sqrt(),
    "reciprocal": lambda fw, z: z.reciprocal(),
    "pow2": lambda fw, z: z**2,
    "pow_half": lambda fw, z: z**0.5,
    "abs": lambda fw, z: z.abs(),
    "angle": lambda fw, z: z.angle(),
    "real": lambda fw, z: z.real,
    "imag": lambda fw, z: z.imag,
    "conj": lambda fw, z: z.conj() * 1,
    "sgn": lambda fw, z: z.sgn(),
    "tanh": lambda fw, z: z.tanh(),
    "sigmoid": lambda fw, z: z.sigmoid(),
    "sin": lambda fw, z: z.sin(),
    "sum": lambda fw, z: z.sum(0),
    "mean": lambda fw, z: z.mean(),
    "transpose": lambda fw, z: z.t().reshape(-1)[1:5],
    "flip_cat": lambda fw, z: fw.cat([z.flip(0), z], 1),
    "stack": lambda fw, z: fw.stack([z, z * 2]),
    "view_as_real": lambda fw, z: fw.view_as_real(z).sum(-1),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_unary(parity, name, dtype):
    z = _complex(parity, 3, 4, dtype=dtype)
    tol = 1e-4 if dtype == np.complex64 else 1e-10
    parity.check(lambda fw, z: _real_view(fw, UNARY[name](fw, z)), z, rtol=tol, atol=tol)


@pytest.mark.parametrize("op", ["div", "mul", "matmul", "bmm", "pow_t"])
def test_binary(parity, op):
    z = _complex(parity, 2, 3, 3)
    w = _complex(parity, 2, 3, 3)
    x = parity.randn(2, 3, 3, dtype=np.float64)
    fns = {
        "div": lambda fw, z, w, x: z / w + x / z + z / x,
        "mul": lambda fw, z, w, x: z * w * x,
        "matmul": lambda fw, z, w, x: z @ w,
        "bmm": lambda fw, z, w, x: fw.bmm(z, w) + fw.mm(z[0], w[1]),
        "pow_t": lambda fw, z, w, x: z ** x.abs(),
    }
    parity.check(lambda fw, z, w, x: _real_view(fw, fns[op](fw, z, w, x)), z, w, x, rtol=1e-8)


def test_build_and_view(parity):
    x = parity.randn(3, 2, dtype=np.float64)
    y = parity.randn(3, 2, dtype=np.float64)
    parity.check(lambda fw, x, y: _real_view(fw, fw.complex(x, y)), x, y)
    parity.check(lambda fw, x, y: _real_view(fw, fw.polar(x.abs(), y)), x, y)
    parity.check(lambda fw, x: _real_view(fw, fw.view_as_complex(x) * 2), x)
    parity.check(lambda fw, x: _real_view(fw, x.to(fw.complex128) * 1j), x)


@pytest.mark.parametrize(
    "op",
    [
        lambda fw, z: z < z,
        lambda fw, z: z.max(),
        lambda fw, z: fw.maximum(z, z),
        lambda fw, z: fw.relu(z),
        lambda fw, z: z.clamp(0, 1),
        lambda fw, z: z.floor(),
        lambda fw, z: z.round(),
        lambda fw, z: z.sign(),
        lambda fw, z: z.erf(),
        lambda fw, z: z % 2,
        lambda fw, z: fw.stft(z, 4, return_complex=False, onesided=True),
        lambda fw, z: fw.fft.rfft(z),
        lambda fw, z: z.imag.imag,
        lambda fw, z: z.sort(),
        lambda fw, z: z.argsort(),
        lambda fw, z: z.topk(2),
        lambda fw, z: z.kthvalue(2),
        lambda fw, z: z.median(),
        lambda fw, z: z.cummax(0),
        lambda fw, z: z.unique(),
        lambda fw, z: fw.searchsorted(z, z),
        lambda fw, z: z.nansum(),
        lambda fw, z: z.nanmean(),
    ],
)
def test_refused(parity, op):
    z = _complex(parity, 8, dtype=np.complex64)
    parity.raises(op, z)


@pytest.mark.parametrize("dim", [None, 1])
def test_var_and_std_of_complex(parity, dim):
    z = _complex(parity, 3, 5)
    parity.check(lambda fw, z: fw.var(z, dim), z)
    parity.check(lambda fw, z: fw.std(z, dim, correction=0), z)
    parity.check(lambda fw, z: tuple(_real_view(fw, t) for t in fw.var_mean(z, dim)), z)


# ------------------------------------------------------------------------ ember.fft


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
@pytest.mark.parametrize("n", [None, 5, 8, 13])
@pytest.mark.parametrize("dim", [-1, 0])
def test_one_dimensional(parity, norm, name, n, dim):
    real_input = name in ("rfft", "ihfft")
    a = parity.randn(6, 7, dtype=np.float64) if real_input else _complex(parity, 6, 7)
    fn = getattr_fft(name)
    parity.check(lambda fw, a: _real_view(fw, fn(fw)(a, n=n, dim=dim, norm=norm)), a)


def getattr_fft(name):
    return lambda fw: getattr(fw.fft, name)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(
    "name", ["fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn"]
)
@pytest.mark.parametrize("s_dim", [(None, None), ((4, 6), None), (None, (0, 2)), ((5, 3), (2, 0))])
def test_multi_dimensional(parity, norm, name, s_dim):
    s, dim = s_dim
    if dim is None and name.endswith("2"):
        dim = (-2, -1)
    a = (
        parity.randn(3, 4, 5, dtype=np.float64)
        if name.startswith("rfft")
        else _complex(parity, 3, 4, 5)
    )
    fn = getattr_fft(name)
    parity.check(lambda fw, a: _real_view(fw, fn(fw)(a, s=s, dim=dim, norm=norm)), a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.complex64])
def test_dtypes(parity, dtype):
    a = (parity.randn(8, dtype=np.float64) * 4).astype(dtype)
    parity.check(lambda fw, a: _real_view(fw, fw.fft.fft(a)), a, rtol=1e-5, atol=1e-5)
    if dtype != np.complex64:
        parity.check(lambda fw, a: _real_view(fw, fw.fft.rfft(a)), a, rtol=1e-5, atol=1e-5)
    parity.check(lambda fw, a: fw.fft.irfft(a), a, rtol=1e-5, atol=1e-5)


def test_frequencies_and_shifts(parity):
    for n in (1, 4, 7):
        parity.check(lambda fw, n=n: fw.fft.fftfreq(n, 0.3))
        parity.check(lambda fw, n=n: fw.fft.rfftfreq(n, dtype=fw.float64))
    x = parity.randn(4, 5)
    for dim in (None, 0, (0, 1), -1):
        parity.check(lambda fw, x, dim=dim: fw.fft.fftshift(x, dim), x)
        parity.check(lambda fw, x, dim=dim: fw.fft.ifftshift(x, dim), x)


@pytest.mark.parametrize(
    "call",
    [
        lambda fw, x: fw.fft.fft(x, norm="bad"),
        lambda fw, x: fw.fft.fft(x, n=0),
        lambda fw, x: fw.fft.fft(x, dim=3),
        lambda fw, x: fw.fft.fftn(x, s=(2,), dim=(0, 1)),
        lambda fw, x: fw.fft.fftn(x, dim=(0, 0)),
        lambda fw, x: fw.fft.irfft(x[:, :1]),
        lambda fw, x: fw.fft.fft(x.half()),
    ],
)
def test_fft_errors(parity, call):
    parity.raises(call, parity.randn(4, 4))


# ------------------------------------------------------------------------ windows


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "bartlett", "kaiser"])
@pytest.mark.parametrize("length", [0, 1, 2, 5, 16, 401])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows(parity, name, length, periodic, dtype):
    parity.check(
        lambda fw: getattr(fw, f"{name}_window")(length, periodic, dtype=getattr(fw, dtype)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_window_parameters(parity):
    parity.check(lambda fw: fw.hamming_window(10, False, 0.6, 0.3, dtype=fw.float64))
    parity.check(lambda fw: fw.kaiser_window(10, True, 3.0, dtype=fw.float64))
    parity.raises(lambda fw: fw.hann_window(4, dtype=fw.int64))
    parity.raises(lambda fw: fw.hann_window(-1))


# ------------------------------------------------------------------------ stft / istft

STFT_OPTIONS = [
    {},
    {"hop_length": 5},
    {"win_length": 12},
    {"center": False},
    {"pad_mode": "constant"},
    {"normalized": True},
    {"onesided": False},
]


@pytest.mark.parametrize("options", STFT_OPTIONS)
@pytest.mark.parametrize("batched", [False, True])
def test_stft(parity, options, batched):
    x = parity.randn(2, 90, dtype=np.float64)
    win = options.get("win_length", 32)

    def f(fw, x):
        signal = x if batched else x[0]
        out = fw.stft(
            signal, 32, window=fw.hann_window(win, dtype=fw.float64), return_complex=True, **options
        )
        return out.abs().pow(2), _real_view(fw, out)

    parity.check(f, x, rtol=1e-7, atol=1e-8)


def test_stft_float32_and_complex_input(parity):
    x = parity.randn(120)
    parity.check(
        lambda fw, x: fw.stft(x, 16, window=fw.hann_window(16), return_complex=True).abs(),
        x,
        rtol=1e-4,
        atol=1e-4,
    )
    z = _complex(parity, 64)
    parity.check(
        lambda fw, z: _real_view(fw, fw.stft(z, 16, window=fw.hann_window(16, dtype=fw.float64))), z
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda fw, x: fw.stft(x, 16),
        lambda fw, x: fw.stft(x, 16, hop_length=0, return_complex=True),
        lambda fw, x: fw.stft(x, 16, win_length=20, return_complex=True),
        lambda fw, x: fw.stft(x, 16, window=fw.ones(5), return_complex=True),
        lambda fw, x: fw.stft(x.reshape(1, 2, -1), 16, return_complex=True),
        lambda fw, x: fw.stft(x, 400, return_complex=True),
        lambda fw, x: fw.istft(x.reshape(2, -1), 16),
    ],
)
def test_stft_errors(parity, call):
    parity.raises(call, parity.randn(100))


ISTFT_OPTIONS = [
    {},
    {"hop_length": 4},
    {"win_length": 24},
    {"normalized": True},
    {"length": 60},
    {"center": False, "window": "hann", "hop_length": 4},
]


@pytest.mark.parametrize("options", ISTFT_OPTIONS)
@pytest.mark.parametrize("batched", [False, True])
def test_istft(parity, options, batched):
    options = dict(options)
    hop = options.pop("hop_length", 8)
    win = options.pop("win_length", 32)
    options.pop("window", None)
    spec = _complex(parity, 2, 17, 9)

    def f(fw, spec):
        s = spec if batched else spec[0]
        window = fw.hann_window(win, dtype=fw.float64)
        if not options.get("center", True):
            window = window + 0.1  # nonzero at the ends: the NOLA condition holds uncentred
        return fw.istft(s, 32, hop, win, window, **options)

    parity.check(f, spec, rtol=1e-7, atol=1e-8)


def test_stft_istft_roundtrip(parity):
    x = parity.randn(2, 200, dtype=np.float64)

    def f(fw, x):
        w = fw.hann_window(64, dtype=fw.float64)
        spec = fw.stft(x, 64, 16, window=w, return_complex=True)
        return fw.istft(spec, 64, 16, window=w, length=200)

    out = parity.check(f, x, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(out.detach().numpy(), x, atol=1e-10)


def test_istft_nola(parity):
    spec = _complex(parity, 17, 9)
    parity.raises(lambda fw, s: fw.istft(s, 32, window=fw.zeros(32)), spec)
