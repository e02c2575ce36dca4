"""Parity of emberaudio's flanger, vad, sliding-window CMN, Fréchet and edit distances,
merge_tokens, the beamforming functions and the transforms built on them with torchaudio
2.11, through the harness in conftest.py with ``A(fw)`` the audio package of each framework.

forced_align and rnnt_loss are C++ kernels in torchaudio, absent from this environment: they
are checked in tests/audio/test_functional_more.py against brute-force enumerations.
"""

import numpy as np
import pytest
import torch

import ember
import emberaudio

# the parity environment may have torch without torchaudio
torchaudio = pytest.importorskip("torchaudio")

F32, F64 = np.float32, np.float64
C64, C128 = np.complex64, np.complex128
TOL = {F32: dict(rtol=1e-4, atol=1e-5), F64: dict(rtol=1e-9, atol=1e-10)}
CTOL = {C64: dict(rtol=1e-3, atol=1e-4), C128: dict(rtol=1e-8, atol=1e-9)}


def A(fw):
    return emberaudio if fw is ember else torchaudio


def cplx(parity, *shape, dtype=C128):
    return (parity.randn(*shape, dtype=F64) + 1j * parity.randn(*shape, dtype=F64)).astype(dtype)


def real_view(fw, x):
    """A complex output as (..., 2) reals, so the harness also compares its gradients."""
    return fw.view_as_real(x) if x.is_complex() else x


def psd_pair(parity, freq=5, channels=3, time=8, dtype=C128):
    """Speech and noise PSD matrices of random spectra (Hermitian, positive definite)."""
    return tuple(
        torch.einsum("fct,fet->fce", torch.from_numpy(s), torch.from_numpy(s).conj()).numpy()
        for s in (cplx(parity, freq, channels, time, dtype=dtype) for _ in range(2))
    )


# ----------------------------------------------------------------------------- flanger


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(regen=40.0, phase=33.3),
        dict(delay=2.0, depth=1.0, regen=-60.0, modulation="triangular"),
        dict(regen=20.0, interpolation="quadratic", speed=3.0),
    ],
)
def test_flanger(parity, dtype, kwargs):
    x = parity.uniform(-0.5, 0.5, 2, 3, 300, dtype=dtype)
    parity.check(lambda fw, x: A(fw).functional.flanger(x, 8000, **kwargs), x, **TOL[dtype])


# --------------------------------------------------------------------------------- vad


def speech_like(parity, channels, onset, sample_rate=8000, seconds=2.0):
    """Quiet noise, then a loud harmonic tone from ``onset`` (later in each channel)."""
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    x = 0.005 * parity.randn(channels, t.size, dtype=F64)
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    for c in range(channels):
        x[c] += 0.5 * (t > onset + 0.2 * c) * tone
    return x


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize(
    "channels, onset, kwargs",
    [
        (1, 0.9, {}),
        (3, 0.7, dict(pre_trigger_time=0.1, allowed_gap=0.1)),
        (2, 0.5, dict(trigger_level=5.0, search_time=0.5, measure_duration=0.08)),
        (1, 5.0, {}),  # never triggers: nothing is kept
        (1, 5.0, dict(pre_trigger_time=1.0)),  # never triggers: the pre-trigger time is kept
    ],
)
def test_vad(parity, dtype, channels, onset, kwargs):
    x = speech_like(parity, channels, onset).astype(dtype)
    x = x[0] if channels == 1 else x
    parity.check(lambda fw, x: A(fw).functional.vad(x, 8000, **kwargs), x, grad=False)
    parity.check(lambda fw, x: A(fw).transforms.Vad(8000, **kwargs)(x), x, grad=False)


# ----------------------------------------------------------------------------- CMN


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shape", [(40, 4), (2, 3, 30, 5), (1, 6)])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(cmn_window=10, min_cmn_window=4),
        dict(cmn_window=11, center=True),
        dict(cmn_window=8, min_cmn_window=50, norm_vars=True),
        dict(cmn_window=15, center=True, norm_vars=True),
    ],
)
def test_sliding_window_cmn(parity, dtype, shape, kwargs):
    x = parity.randn(*shape, dtype=dtype) * 2 + 1
    # torchaudio keeps float32 running sums; ember sums windows in float64
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == F32 else TOL[dtype]
    # with norm_vars, torchaudio's backward fails (an in-place update of a saved tensor)
    grad = not kwargs.get("norm_vars", False)
    parity.check(
        lambda fw, x: A(fw).functional.sliding_window_cmn(x, **kwargs), x, grad=grad, **tol
    )
    parity.check(lambda fw, x: A(fw).transforms.SlidingWindowCmn(**kwargs)(x), x, grad=grad, **tol)


# --------------------------------------------------------------------- distances, tokens


@pytest.mark.parametrize("dtype", [F32, F64])
def test_frechet_distance(parity, dtype):
    a, b = parity.randn(4, 6, dtype=dtype), parity.randn(4, 6, dtype=dtype)
    sigma_x, sigma_y = a @ a.T / 6, b @ b.T / 6
    mu_x, mu_y = parity.randn(4, dtype=dtype), parity.randn(4, dtype=dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == F32 else TOL[dtype]
    parity.check(
        lambda fw, *args: A(fw).functional.frechet_distance(*args),
        mu_x,
        sigma_x,
        mu_y,
        sigma_y,
        **tol,
    )


@pytest.mark.parametrize(
    "seq1, seq2",
    [
        ("kitten", "sitting"),
        ("", "abc"),
        ("abc", ""),
        (["the", "cat", "sat"], ["the", "cat", "sat", "down"]),
        ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]),
        ("flaw", "lawn"),
    ],
)
def test_edit_distance(parity, seq1, seq2):
    parity.check(lambda fw: A(fw).functional.edit_distance(seq1, seq2))


def test_edit_distance_random(parity):
    for _ in range(20):
        seq1 = parity.integers(0, 3, int(parity.integers(0, 12))).tolist()
        seq2 = parity.integers(0, 3, int(parity.integers(0, 12))).tolist()
        parity.check(lambda fw, a=seq1, b=seq2: A(fw).functional.edit_distance(a, b))


@pytest.mark.parametrize("blank", [0, 2])
def test_merge_tokens(parity, blank):
    tokens = np.array([0, 0, 1, 1, 0, 2, 2, 2, 0, 1, 3, 3, 0, 0], dtype=np.int32)
    scores = parity.uniform(0.1, 1.0, tokens.size)
    spans = {}
    for fw in (ember, torch):
        spans[fw.__name__] = A(fw).functional.merge_tokens(
            fw.from_numpy(tokens), fw.from_numpy(scores), blank=blank
        )
    ours, theirs = spans["ember"], spans["torch"]
    assert [(s.token, s.start, s.end, len(s)) for s in ours] == [
        (s.token, s.start, s.end, len(s)) for s in theirs
    ]
    np.testing.assert_allclose([s.score for s in ours], [s.score for s in theirs], rtol=1e-6)


# --------------------------------------------------------------------------- beamforming


@pytest.mark.parametrize("dtype", [C64, C128])
@pytest.mark.parametrize("masked, normalize", [(False, True), (True, True), (True, False)])
def test_psd(parity, dtype, masked, normalize):
    specgram = cplx(parity, 2, 3, 5, 7, dtype=dtype)
    mask = parity.uniform(0, 1, 2, 5, 7, dtype=F32 if dtype == C64 else F64) if masked else None
    parity.check(
        lambda fw, s, m: real_view(fw, A(fw).functional.psd(s, m, normalize)),
        specgram,
        mask,
        **CTOL[dtype],
    )


@pytest.mark.parametrize("multi_mask", [False, True])
def test_psd_module(parity, multi_mask):
    specgram = cplx(parity, 3, 5, 7)
    mask = parity.uniform(0, 1, *((3, 5, 7) if multi_mask else (5, 7)), dtype=F64)
    parity.check(
        lambda fw, s, m: real_view(fw, A(fw).transforms.PSD(multi_mask)(s, m)),
        specgram,
        mask,
        **CTOL[C128],
    )


def one_hot(channels, index, *batch):
    u = np.zeros((*batch, channels), dtype=F64)
    u[..., index] = 1
    return u


@pytest.mark.parametrize("reference", ["int", "tensor"])
@pytest.mark.parametrize("diagonal_loading", [True, False])
def test_mvdr_weights_souden(parity, reference, diagonal_loading):
    psd_s, psd_n = psd_pair(parity)
    ref = 1 if reference == "int" else one_hot(3, 1)
    parity.check(
        lambda fw, s, n, r: real_view(
            fw, A(fw).functional.mvdr_weights_souden(s, n, r, diagonal_loading)
        ),
        psd_s,
        psd_n,
        ref,
        grad=(0, 1),
        **CTOL[C128],
    )


@pytest.mark.parametrize("reference", [None, "int", "tensor"])
@pytest.mark.parametrize("dtype", [C64, C128])
def test_mvdr_weights_rtf(parity, reference, dtype):
    _, psd_n = psd_pair(parity, dtype=dtype)
    rtf = cplx(parity, 5, 3, dtype=dtype)
    ref = {None: None, "int": 2, "tensor": one_hot(3, 2)}[reference]
    parity.check(
        lambda fw, v, n, r: real_view(fw, A(fw).functional.mvdr_weights_rtf(v, n, r)),
        rtf,
        psd_n,
        ref,
        grad=(0, 1),
        **CTOL[dtype],
    )


def test_rtf_evd(parity):
    psd_s, _ = psd_pair(parity)

    def rtf(fw, s):
        v = A(fw).functional.rtf_evd(s)
        # an eigenvector's phase is arbitrary: turn the first entry real and positive
        phase = v[..., :1] / v[..., :1].abs()
        return real_view(fw, v / phase)

    parity.check(rtf, psd_s, **CTOL[C128])


@pytest.mark.parametrize("n_iter", [1, 2, 4])
@pytest.mark.parametrize("reference", ["int", "tensor"])
def test_rtf_power(parity, n_iter, reference):
    psd_s, psd_n = psd_pair(parity)
    ref = 0 if reference == "int" else one_hot(3, 0)
    parity.check(
        lambda fw, s, n, r: real_view(fw, A(fw).functional.rtf_power(s, n, r, n_iter)),
        psd_s,
        psd_n,
        ref,
        grad=(0, 1),
        rtol=1e-7,
        atol=1e-7,
    )


@pytest.mark.parametrize("dtype", [C64, C128])
def test_apply_beamforming(parity, dtype):
    weights = cplx(parity, 2, 5, 3, dtype=dtype)
    specgram = cplx(parity, 2, 3, 5, 7, dtype=dtype)
    parity.check(
        lambda fw, w, s: real_view(fw, A(fw).functional.apply_beamforming(w, s)),
        weights,
        specgram,
        **CTOL[dtype],
    )


@pytest.mark.parametrize("solution", ["ref_channel", "stv_evd", "stv_power"])
@pytest.mark.parametrize("online", [False, True])
@pytest.mark.parametrize("multi_mask", [False, True])
def test_mvdr_module(parity, solution, online, multi_mask):
    specgram = cplx(parity, 3, 6, 20, dtype=C64)
    mask_shape = (3, 6, 20) if multi_mask else (6, 20)
    mask_s, mask_n = (parity.uniform(0.05, 1, *mask_shape) for _ in range(2))

    def enhance(fw, s, ms, mn):
        module = A(fw).transforms.MVDR(1, solution, multi_mask, online=online)
        first = module(s, ms, mn)
        # online: the second call updates the running PSD matrices of the first
        second = module(s[..., :10], ms[..., :10], mn[..., :10])
        return real_view(fw, first), real_view(fw, second)

    # stv_evd's eigenvectors have an arbitrary phase, which the beamformer cancels out
    parity.check(enhance, specgram, mask_s, mask_n, grad=False, rtol=1e-4, atol=1e-5)


def test_mvdr_module_state_dict_and_default_noise_mask(parity):
    specgram = cplx(parity, 2, 4, 10, dtype=C64)
    mask_s = parity.uniform(0.05, 0.95, 4, 10)
    state = {}
    for fw in (ember, torch):
        module = A(fw).transforms.MVDR(online=True)
        state[fw.__name__] = module
    assert list(state["ember"].state_dict()) == list(state["torch"].state_dict())

    def enhance(fw, s, m):
        with pytest.warns(UserWarning, match="mask_n"):
            return real_view(fw, state[fw.__name__](s, m))

    parity.check(enhance, specgram, mask_s, grad=False, rtol=1e-4, atol=1e-5)
    for name in ("psd_s", "psd_n", "mask_sum_s", "mask_sum_n"):
        ours = getattr(state["ember"], name).numpy()
        # the float32 masks are normalised in float32 in both, summed in different orders
        np.testing.assert_allclose(ours, getattr(state["torch"], name).numpy(), rtol=1e-6)


@pytest.mark.parametrize("reference", ["int", "tensor"])
def test_souden_and_rtf_mvdr_modules(parity, reference):
    specgram = cplx(parity, 3, 5, 7)
    psd_s, psd_n = psd_pair(parity)
    rtf = cplx(parity, 5, 3)
    ref = 2 if reference == "int" else one_hot(3, 2)
    parity.check(
        lambda fw, y, s, n, r: real_view(fw, A(fw).transforms.SoudenMVDR()(y, s, n, r)),
        specgram,
        psd_s,
        psd_n,
        ref,
        grad=(0, 1, 2),
        **CTOL[C128],
    )
    parity.check(
        lambda fw, y, v, n, r: real_view(fw, A(fw).transforms.RTFMVDR()(y, v, n, r)),
        specgram,
        rtf,
        psd_n,
        ref,
        grad=(0, 1, 2),
        **CTOL[C128],
    )


# ------------------------------------------------------------------------------- errors


def test_errors_have_torchaudios_types(parity):
    x = parity.uniform(-0.5, 0.5, 5, 100)
    psd_s, psd_n = psd_pair(parity)
    spec = cplx(parity, 3, 5, 7)
    F_ = "functional"
    cases = [
        (lambda fw, x: A(fw).functional.flanger(x, 8000), x),  # 5 channels
        (lambda fw, x: A(fw).functional.flanger(x[:2], 8000, modulation="x"), x),
        (lambda fw, x: A(fw).functional.flanger(x[:2], 8000, interpolation="x"), x),
        (lambda fw, x: A(fw).functional.vad(x, 8000, hp_lifter_freq=3000.0), x),
        (lambda fw, s, n: A(fw).functional.mvdr_weights_souden(s, n, 0.5), psd_s, psd_n),
        (lambda fw, s, n: A(fw).functional.mvdr_weights_souden(s.real, n, 0), psd_s, psd_n),
        (lambda fw, s, n: A(fw).functional.mvdr_weights_souden(s[:2], n, 0), psd_s, psd_n),
        (lambda fw, s, n: A(fw).functional.mvdr_weights_rtf(s[..., 0], n[0], 0), psd_s, psd_n),
        (lambda fw, s, n: getattr(A(fw), F_).rtf_power(s, n, 0, n_iter=0), psd_s, psd_n),
        (lambda fw, s, n: A(fw).functional.rtf_evd(s.real), psd_s, psd_n),
        (lambda fw, s, n: A(fw).functional.rtf_evd(s[..., :2]), psd_s, psd_n),
        (lambda fw, y, n: A(fw).functional.apply_beamforming(n[..., 0], y[None]), spec, psd_n),
        (lambda fw, y, n: A(fw).functional.apply_beamforming(n[..., 0].real, y), spec, psd_n),
        (lambda fw, y, n: A(fw).functional.psd(y, n[..., 0].real), spec, psd_n),
        (lambda fw, y: A(fw).transforms.MVDR(solution="x"), spec),
        (lambda fw, y: A(fw).transforms.MVDR()(y.real, y.real[0]), spec),
        (lambda fw, y: A(fw).transforms.MVDR()(y[0, 0], y.real[0, 0]), spec),
        (lambda fw, m: A(fw).functional.frechet_distance(m, m, m, m), x),
        (lambda fw, m: A(fw).functional.frechet_distance(m[0], m, m[0], m), x),
        (lambda fw, m: A(fw).functional.frechet_distance(m[0, :5], m[:, :5], m[1], m), x),
        (lambda fw, t: A(fw).functional.merge_tokens(t, t[0]), x),
        (lambda fw, t: A(fw).functional.merge_tokens(t[0], t[0, :3]), x),
    ]
    for f, *arrays in cases:
        parity.raises(f, *arrays)
