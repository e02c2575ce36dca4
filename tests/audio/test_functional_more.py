"""emberaudio's flanger, vad, sliding-window CMN, Fréchet and edit distances, CTC forced
alignment, the RNN-T loss and the beamforming functions and transforms, against independent
references: a sample-by-sample ring buffer for the flanger, brute-force enumerations of every
alignment for forced_align and rnnt_loss, a plain dynamic programme for edit_distance,
published RNN-T values, hand-computed cases, MVDR's distortionless response and float64
finite differences."""

import itertools
import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
import emberaudio.transforms as T
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close


def t64(array, requires_grad=False):
    return ember.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def c128(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# ----------------------------------------------------------------------------- flanger


def np_wave_table(size, low, high, triangular):
    """SoX's LFO (a sine or triangle from ``low`` to ``high``, starting at 3/4 of a turn)."""
    point = (np.arange(size) + int(0.75 * size + 0.5)) % size
    if triangular:
        d = point * 2 / size
        quarter = 4 * point // size
        d = np.select([quarter == 0, quarter == 3], [d + 0.5, d - 1.5], 1.5 - d)
    else:
        d = (np.sin(point / size * 2 * np.pi) + 1) / 2
    return (d * (high - low) + low).astype(np.float32)


def np_flanger(x, sr, delay, depth, regen, width, speed, phase, triangular, quadratic):
    """SoX's flanger, one sample at a time through a ring buffer (x: (channels, time))."""
    channels, length = x.shape
    feedback, delay_gain = regen / 100, width / 100
    in_gain = 1 / (1 + delay_gain)
    delay_gain = delay_gain / (1 + delay_gain) * (1 - abs(feedback))
    buf_len = int((delay + depth) / 1000 * sr + 0.5) + 2
    lfo_len = int(sr / speed)
    lfo = np_wave_table(lfo_len, math.floor(delay / 1000 * sr + 0.5), buf_len - 2.0, triangular)
    buf = np.zeros((channels, buf_len))
    last = np.zeros(channels)
    out = np.zeros_like(x)
    pos = 0
    for i in range(length):
        pos = (pos - 1) % buf_len
        for c in range(channels):
            offset = int(np.float32(c * lfo_len) * np.float32(phase / 100) + np.float32(0.5))
            value = float(lfo[(i + offset) % lfo_len])
            frac, k = value - math.floor(value), math.floor(value)
            buf[c, pos] = x[c, i] + last[c] * feedback
            taps = [buf[c, (pos + k + m) % buf_len] for m in range(3)]
            if quadratic:
                a = 0.5 * taps[2] - taps[1] + 0.5 * taps[0]
                b = 2 * taps[1] - 1.5 * taps[0] - 0.5 * taps[2]
                last[c] = taps[0] + (a * frac + b) * frac
            else:
                last[c] = taps[0] + (taps[1] - taps[0]) * frac
            out[c, i] = x[c, i] * in_gain + last[c] * delay_gain
    return np.clip(out, -1, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(regen=50.0, phase=40.0),
        dict(delay=1.0, depth=3.0, regen=-70.0, modulation="triangular"),
        dict(regen=30.0, interpolation="quadratic", speed=5.0),
        dict(depth=0.1, regen=80.0),  # a 1-sample delay line: the offsets wrap around it
    ],
)
def test_flanger_matches_a_ring_buffer(kwargs):
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.4, 0.4, (3, 400))
    options = dict(delay=0.0, depth=2.0, regen=0.0, width=71.0, speed=0.5, phase=25.0)
    options.update({k: v for k, v in kwargs.items() if k in options})
    expected = np_flanger(
        x,
        4000,
        **options,
        triangular=kwargs.get("modulation") == "triangular",
        quadratic=kwargs.get("interpolation") == "quadratic",
    )
    out = F.flanger(t64(x)[None], 4000, **kwargs)
    assert out.shape == (1, 3, 400) and out.dtype == ember.float64
    np.testing.assert_allclose(out[0].numpy(), expected, rtol=1e-10, atol=1e-12)
    assert F.flanger(t64(x).float(), 4000, **kwargs).dtype == ember.float32


@pytest.mark.parametrize("interpolation", ["linear", "quadratic"])
def test_flanger_gradients(interpolation):
    rng = np.random.default_rng(1)
    x = t64(rng.uniform(-0.3, 0.3, (1, 2, 16)), requires_grad=True)

    def f(x):
        return F.flanger(x, 1000, depth=6.0, regen=60.0, interpolation=interpolation)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_flanger_errors():
    x = ember.zeros(5, 10)
    with pytest.raises(ValueError, match="Max 4 channels allowed"):
        F.flanger(x, 8000)
    with pytest.raises(ValueError, match="modulation"):
        F.flanger(x[:2], 8000, modulation="square")
    with pytest.raises(ValueError, match="interpolation"):
        F.flanger(x[:2], 8000, interpolation="cubic")


# --------------------------------------------------------------------------------- vad


def tone_after(onsets, sample_rate=8000, seconds=2.0, seed=0):
    """Per channel: quiet noise, then a loud harmonic tone from its onset (seconds)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    tone = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    return np.stack([0.005 * rng.standard_normal(t.size) + 0.5 * (t > o) * tone for o in onsets])


def test_vad_trims_to_the_onset():
    x = tone_after([1.0])[0]
    out = F.vad(t64(x), 8000)
    # a suffix of the input, starting within a measurement (0.1 s) before the onset
    start = x.size - out.shape[0]
    assert 8000 - 800 <= start <= 8000
    np.testing.assert_array_equal(out.numpy(), x[start:])
    # more pre-trigger time keeps that much more before the trigger point
    earlier = F.vad(t64(x), 8000, pre_trigger_time=0.25)
    assert earlier.shape[0] - out.shape[0] == 2000
    assert_close(T.Vad(8000, pre_trigger_time=0.25)(t64(x)), earlier)


def test_vad_trims_all_channels_alike():
    x = tone_after([1.0])[0]
    alone = F.vad(t64(x), 8000)
    both = F.vad(t64(np.stack([x, 0.8 * x])), 8000)
    assert both.shape == (2, alone.shape[0])
    np.testing.assert_array_equal(both.numpy(), [alone.numpy(), 0.8 * alone.numpy()])


def test_vad_without_activity():
    x = t64(tone_after([9.0])[0])
    assert F.vad(x, 8000).shape == (0,)
    assert F.vad(x, 8000, pre_trigger_time=0.5).shape == (4000,)  # the pre-trigger time
    with pytest.warns(UserWarning, match="Batch semantics is not supported"):
        F.vad(ember.zeros(1, 2, 100), 8000)
    with pytest.raises(ValueError, match="cepstrum_start to be smaller than cepstrum_end"):
        F.vad(x, 8000, hp_lifter_freq=3000.0)


# ----------------------------------------------------------------------------- CMN


def np_cmn(x, cmn_window, min_cmn_window, center, norm_vars):
    """Kaldi's sliding-window CMN, one frame at a time (x: (time, feats))."""
    frames = x.shape[0]
    out = np.zeros_like(x)
    for t in range(frames):
        if center:
            start = t - cmn_window // 2
            end = start + cmn_window
        else:
            start, end = t - cmn_window, t + 1
        if start < 0:
            end, start = end - start, 0
        if not center:
            end = max(t + 1, min_cmn_window)
        if end > frames:
            start, end = max(0, start - (end - frames)), frames
        window = x[start:end]
        out[t] = x[t] - window.mean(0)
        if norm_vars:
            out[t] = 0 if len(window) == 1 else out[t] / window.std(0)
    return out


def test_sliding_window_cmn_by_hand():
    # windows [0, 1), [0, 2), [0, 3), [1, 4): means 1, 1.5, 2, 3
    x = t64([[1.0], [2.0], [3.0], [4.0]])
    out = F.sliding_window_cmn(x, cmn_window=2, min_cmn_window=1)
    np.testing.assert_allclose(out.numpy(), [[0.0], [0.5], [1.0], [1.0]])
    # torchaudio's wart: a 2D input of one frame comes back squeezed
    assert F.sliding_window_cmn(t64([[1.0, 2.0]])).shape == (2,)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(cmn_window=600, min_cmn_window=100),
        dict(cmn_window=7, min_cmn_window=3),
        dict(cmn_window=6, min_cmn_window=1, norm_vars=True),
        dict(cmn_window=9, center=True),
        dict(cmn_window=4, center=True, norm_vars=True),
        dict(cmn_window=40, center=True),  # a window longer than the utterance
    ],
)
def test_sliding_window_cmn_matches_a_frame_loop(kwargs):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 25, 3)) * 2 + 1
    full = dict(cmn_window=600, min_cmn_window=100, center=False, norm_vars=False)
    full.update(kwargs)
    expected = np.stack([np_cmn(item, **full) for item in x])
    out = F.sliding_window_cmn(t64(x), **kwargs)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    assert_close(T.SlidingWindowCmn(**kwargs)(t64(x)), out)
    assert F.sliding_window_cmn(t64(x).float(), **kwargs).dtype == ember.float32
    x_grad = t64(x[0, :12], requires_grad=True)
    assert gradcheck(lambda x: F.sliding_window_cmn(x, **kwargs), (x_grad,))


# --------------------------------------------------------------------------- distances


def test_frechet_distance():
    mu_x, mu_y = t64([1.0, 2.0, 0.0]), t64([0.0, 0.0, 1.0])
    sx, sy = np.array([4.0, 1.0, 9.0]), np.array([1.0, 1.0, 4.0])
    # diagonal covariances: |mu_x - mu_y|^2 + sum (sqrt(sx) - sqrt(sy))^2 = 6 + 1 + 0 + 1
    out = F.frechet_distance(mu_x, t64(np.diag(sx)), mu_y, t64(np.diag(sy)))
    assert out.shape == () and out.item() == pytest.approx(8.0)
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 5))
    sigma = t64(a @ a.T / 5)
    assert abs(F.frechet_distance(mu_x, sigma, mu_x, sigma).item()) < 1e-9
    b = t64(rng.standard_normal((3, 5)), requires_grad=True)
    mu = t64(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda mu, b: F.frechet_distance(mu, b @ b.T, mu_y, sigma), (mu, b))
    with pytest.raises(ValueError, match="mu_x must be one-dimensional"):
        F.frechet_distance(sigma, sigma, mu_y, sigma)
    with pytest.raises(ValueError, match="sigma_x must be two-dimensional"):
        F.frechet_distance(mu_x, mu_x, mu_y, sigma)
    with pytest.raises(ValueError, match="same shape"):
        F.frechet_distance(mu_x, sigma, mu_y[:2], sigma)


def np_edit_distance(a, b):
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i, j in itertools.product(range(1, len(a) + 1), range(1, len(b) + 1)):
        table[i][j] = min(
            table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] != b[j - 1])
        )
    return table[-1][-1]


def test_edit_distance():
    assert F.edit_distance("kitten", "sitting") == 3
    assert F.edit_distance(["the", "cat", "sat"], ["the", "cat"]) == 1
    assert F.edit_distance("", "abc") == 3 and F.edit_distance("ab", "") == 2
    assert F.edit_distance([], []) == 0
    rng = np.random.default_rng(4)
    for _ in range(50):
        a = rng.integers(0, 3, rng.integers(0, 10)).tolist()
        b = rng.integers(0, 3, rng.integers(0, 10)).tolist()
        assert F.edit_distance(a, b) == np_edit_distance(a, b)
        assert isinstance(F.edit_distance(a, b), int)


# ----------------------------------------------------------------------- forced align


def collapse(path, blank):
    """A CTC path's label sequence: repeats merged, blanks removed."""
    return [p for k, p in enumerate(path) if p != blank and (k == 0 or p != path[k - 1])]


def best_ctc_path(log_probs, targets, blank):
    """The highest-scoring path that collapses to ``targets``, by trying every path."""
    length, classes = log_probs.shape
    paths = [p for p in itertools.product(range(classes), repeat=length)]
    valid = [p for p in paths if collapse(p, blank) == list(targets)]
    scores = [log_probs[np.arange(length), p].sum() for p in valid]
    return valid[int(np.argmax(scores))], max(scores)


@pytest.mark.parametrize("blank", [0, 3])
def test_forced_align_finds_the_best_path(blank):
    rng = np.random.default_rng(5)
    labels = [c for c in range(4) if c != blank]
    for targets, length in [([1], 4), ([1, 2], 5), ([2, 2], 4), ([1, 2, 1], 6), ([2, 2], 3)]:
        targets = [labels[t - 1] for t in targets]
        log_probs = rng.standard_normal((length, 4))
        log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
        path, score = best_ctc_path(log_probs, targets, blank)
        for dtype in (ember.int32, ember.int64):
            paths, scores = F.forced_align(
                t64(log_probs[None]), ember.tensor([targets], dtype=dtype), blank=blank
            )
            assert paths.dtype == dtype and paths.shape == (1, length)
            assert tuple(paths[0].tolist()) == path
            assert scores.shape == (1, length) and scores.sum().item() == pytest.approx(score)
            np.testing.assert_allclose(scores[0].numpy(), log_probs[np.arange(length), path])


def test_forced_align_long_targets():
    # more states (2 * 90 + 1) than an int8 back-pointer index holds; emissions that favour
    # one path strongly make it the answer
    rng = np.random.default_rng(18)
    targets = rng.integers(1, 6, 90)
    path = np.zeros(200, dtype=np.int64)
    path[1::2][: targets.size] = targets  # each label once, blanks between
    log_probs = np.full((200, 6), -10.0)
    log_probs[np.arange(200), path] = -0.01
    paths, _ = F.forced_align(t64(log_probs[None]), ember.tensor(targets[None]))
    np.testing.assert_array_equal(paths[0].numpy(), path)


def test_forced_align_ties():
    # uniform emissions: every path ties. On a tie a state keeps itself as predecessor (so
    # each state is entered as early as it can be: label 2 at t = 1, by skipping the blank),
    # and the path ends on the last label rather than on the blank after it
    log_probs = ember.full((1, 5, 3), -math.log(3.0))
    paths, _ = F.forced_align(log_probs, ember.tensor([[1, 2]], dtype=ember.int32))
    assert paths.tolist() == [[1, 2, 2, 2, 2]]


def test_forced_align_errors():
    log_probs = ember.zeros(1, 4, 3)
    targets = ember.tensor([[1, 2]], dtype=ember.int32)
    with pytest.raises(ValueError, match="shouldn't contain blank index"):
        F.forced_align(log_probs, targets, blank=2)
    with pytest.raises(ValueError, match="less than the CTC dimension"):
        F.forced_align(log_probs, ember.tensor([[1, 3]], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="targets length is too long for CTC"):
        F.forced_align(log_probs[:, :2], ember.tensor([[1, 1]], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="batch dimension for log_probs must be 1"):
        F.forced_align(ember.zeros(2, 4, 3), targets)
    with pytest.raises(RuntimeError, match="int32 or int64"):
        F.forced_align(log_probs, targets.float())
    with pytest.raises(RuntimeError, match="input length mismatch"):
        F.forced_align(log_probs, targets, ember.tensor([3]), ember.tensor([2]))


def test_merge_tokens():
    tokens = ember.tensor([0, 1, 1, 0, 0, 2, 2, 1, 0], dtype=ember.int32)
    scores = t64([0.5, 0.2, 0.4, 0.1, 0.1, 0.9, 0.7, 0.3, 0.6])
    spans = F.merge_tokens(tokens, scores)
    assert [(s.token, s.start, s.end, len(s)) for s in spans] == [
        (1, 1, 3, 2),
        (2, 5, 7, 2),
        (1, 7, 8, 1),
    ]
    assert [s.score for s in spans] == pytest.approx([0.3, 0.8, 0.3])
    assert spans[0] == F.TokenSpan(1, 1, 3, spans[0].score)
    with pytest.raises(ValueError, match="must be 1D Tensor"):
        F.merge_tokens(tokens[None], scores)
    with pytest.raises(ValueError, match="must be the same length"):
        F.merge_tokens(tokens, scores[:3])


# ------------------------------------------------------------------------------- RNN-T


def brute_rnnt_cost(logits, targets, frames, labels, blank, fused=True):
    """-log of the sum over every path of the lattice (``frames`` blanks and ``labels``
    emissions in any order, the last step a blank), enumerated one by one."""
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True)) if fused else logits
    scores = []
    for emitted_at in itertools.combinations(range(frames + labels - 1), labels):
        t = u = 0
        score = 0.0
        for step in range(frames + labels - 1):
            if step in emitted_at:
                score += log_probs[t, u, targets[u]]
                u += 1
            else:
                score += log_probs[t, u, blank]
                t += 1
        scores.append(score + log_probs[frames - 1, labels, blank])
    return -np.logaddexp.reduce(scores)


def rnnt_batch(seed=6):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((3, 4, 4, 5))
    targets = rng.integers(1, 4, (3, 3)).astype(np.int32)
    logit_lengths = np.array([4, 2, 3], dtype=np.int32)
    target_lengths = np.array([3, 1, 0], dtype=np.int32)
    return logits, targets, logit_lengths, target_lengths


def int32(array):
    return ember.tensor(array, dtype=ember.int32)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("blank", [0, -1])
def test_rnnt_loss_sums_every_alignment(fused, blank):
    logits, targets, logit_lengths, target_lengths = rnnt_batch()
    if not fused:
        logits = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    if blank == -1:
        targets = targets - 1  # labels 0..2, the blank 4
    expected = [
        brute_rnnt_cost(logits[b], targets[b], logit_lengths[b], target_lengths[b], blank % 5)
        for b in range(3)
    ]
    costs = F.rnnt_loss(
        t64(logits),
        int32(targets),
        int32(logit_lengths),
        int32(target_lengths),
        blank=blank,
        reduction="none",
        fused_log_softmax=fused,
    )
    assert costs.shape == (3,) and costs.dtype == ember.float64
    np.testing.assert_allclose(costs.numpy(), expected, rtol=1e-12)
    args = (int32(targets), int32(logit_lengths), int32(target_lengths), blank)
    for reduction, value in [("mean", np.mean(expected)), ("sum", np.sum(expected))]:
        loss = F.rnnt_loss(t64(logits), *args, reduction=reduction, fused_log_softmax=fused)
        assert loss.shape == () and loss.item() == pytest.approx(value, rel=1e-12)
    module = T.RNNTLoss(blank, reduction="sum", fused_log_softmax=fused)
    assert module(t64(logits), *args[:3]).item() == pytest.approx(np.sum(expected), rel=1e-12)
    # float32 (torchaudio's dtype) computes in float32
    loss32 = F.rnnt_loss(t64(logits).float(), *args, reduction="none", fused_log_softmax=fused)
    assert loss32.dtype == ember.float32
    np.testing.assert_allclose(loss32.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("fused", [True, False])
def test_rnnt_loss_gradient(fused):
    logits, targets, logit_lengths, target_lengths = rnnt_batch(7)
    args = (int32(targets), int32(logit_lengths), int32(target_lengths), 0)
    x = t64(logits, requires_grad=True)
    assert gradcheck(lambda x: F.rnnt_loss(x, *args, fused_log_softmax=fused), (x,))
    assert gradcheck(
        lambda x: F.rnnt_loss(x, *args, reduction="none", fused_log_softmax=fused), (x,)
    )
    # nothing flows to the cells past each sequence's lengths
    F.rnnt_loss(x, *args, reduction="sum", fused_log_softmax=fused).backward()
    assert not x.grad[1, 2:].numpy().any() and not x.grad[2, :, 1:].numpy().any()


# torchaudio's (and warp-transducer's) B=1, T=2, U=2, D=5 test case
SMALL_LOGITS = [
    [
        [[0.1, 0.6, 0.1, 0.1, 0.1], [0.1, 0.1, 0.6, 0.1, 0.1], [0.1, 0.1, 0.2, 0.8, 0.1]],
        [[0.1, 0.6, 0.1, 0.1, 0.1], [0.1, 0.1, 0.2, 0.1, 0.1], [0.7, 0.1, 0.2, 0.1, 0.1]],
    ]
]
SMALL_GRADIENTS = [
    [
        [-0.13116688, -0.3999269, 0.17703125, 0.17703125, 0.17703125],
        [-0.18572757, 0.12247056, -0.18168412, 0.12247056, 0.12247056],
        [-0.32091254, 0.06269141, 0.06928472, 0.12624499, 0.06269141],
    ],
    [
        [0.05456069, -0.21824276, 0.05456069, 0.05456069, 0.05456069],
        [0.12073959, 0.12073959, -0.48295835, 0.12073959, 0.12073959],
        [-0.6925882, 0.16871116, 0.18645467, 0.16871116, 0.16871116],
    ],
]
# the gradients with respect to the log-softmax (fused_log_softmax=False)
SMALL_LOG_PROB_GRADIENTS = [
    [[-0.308198071906, -0.691801928094, 0, 0, 0], [-0.308198071906, 0, -0.383603856188, 0, 0]]
    + [[-0.383603856188, 0, 0, 0, 0]],
    [[0, -0.308198071906, 0, 0, 0], [0, 0, -0.616396143812, 0, 0], [-1.0, 0, 0, 0, 0]],
]


def test_rnnt_loss_published_values():
    args = (int32([[1, 2]]), int32([2]), int32([2]))
    logits = ember.tensor(SMALL_LOGITS, requires_grad=True)
    loss = T.RNNTLoss(blank=0)(logits, *args)
    assert loss.item() == pytest.approx(4.495666, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(logits.grad[0].numpy(), SMALL_GRADIENTS, atol=1e-6)

    log_probs = ember.tensor(SMALL_LOGITS).log_softmax(-1).requires_grad_()
    loss = F.rnnt_loss(log_probs, *args, blank=0, fused_log_softmax=False)
    assert loss.item() == pytest.approx(4.495666, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(log_probs.grad[0].numpy(), SMALL_LOG_PROB_GRADIENTS, atol=1e-6)

    # clamp bounds each entry of the gradient; the others are unchanged
    logits = ember.tensor(SMALL_LOGITS, requires_grad=True)
    F.rnnt_loss(logits, *args, blank=0, clamp=0.2).backward()
    np.testing.assert_allclose(
        logits.grad[0].numpy(), np.clip(SMALL_GRADIENTS, -0.2, 0.2), atol=1e-6
    )


def test_rnnt_loss_errors():
    logits = ember.zeros(1, 2, 3, 5)
    args = [int32([[1, 2]]), int32([2]), int32([2])]
    with pytest.raises(ValueError, match="reduction should be one of"):
        F.rnnt_loss(logits, *args, reduction="max")
    with pytest.raises(RuntimeError, match="targets must be int32 type"):
        F.rnnt_loss(logits, ember.tensor([[1, 2]]), *args[1:])
    with pytest.raises(RuntimeError, match="logits must be float32"):
        F.rnnt_loss(logits.long(), *args)
    with pytest.raises(RuntimeError, match="logits must be 4-D"):
        F.rnnt_loss(logits[0], *args)
    with pytest.raises(RuntimeError, match="blank must be within"):
        F.rnnt_loss(logits, *args, blank=5)
    with pytest.raises(RuntimeError, match="input length mismatch"):
        F.rnnt_loss(logits, args[0], int32([1]), args[2])
    with pytest.raises(RuntimeError, match="output length mismatch"):
        F.rnnt_loss(logits, args[0], args[1], int32([1]))
    with pytest.raises(RuntimeError, match="batch dimension mismatch"):
        F.rnnt_loss(logits, args[0], int32([2, 2]), args[2])


# -------------------------------------------------------------------------- beamforming


def hermitian(x):
    return np.conj(np.swapaxes(x, -1, -2))


def test_psd_is_the_masked_sum_of_outer_products():
    rng = np.random.default_rng(8)
    specgram = c128(rng, 2, 3, 4, 6)  # (batch, channel, freq, time)
    mask = rng.uniform(0, 1, (2, 4, 6))
    outer = np.einsum("bcft,beft->bftce", specgram, np.conj(specgram))
    expected = (outer * (mask / (mask.sum(-1, keepdims=True) + 1e-10))[..., None, None]).sum(2)
    out = F.psd(ember.tensor(specgram), ember.tensor(mask))
    assert out.shape == (2, 4, 3, 3) and out.dtype == ember.complex128
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(F.psd(ember.tensor(specgram)).numpy(), outer.sum(2), rtol=1e-12)
    unnormalized = (outer * mask[..., None, None]).sum(2)
    out = F.psd(ember.tensor(specgram), ember.tensor(mask), normalize=False)
    np.testing.assert_allclose(out.numpy(), unnormalized, rtol=1e-12)
    multi = rng.uniform(0, 1, (2, 3, 4, 6))
    out = T.PSD(multi_mask=True)(ember.tensor(specgram), ember.tensor(multi))
    assert_close(out, F.psd(ember.tensor(specgram), ember.tensor(multi.mean(1)), eps=1e-15))


def rank_one_scene(seed, freq=4, channels=3):
    """A steering vector ``a`` per frequency, the speech PSD ``a a^H`` and a noise PSD."""
    rng = np.random.default_rng(seed)
    a = c128(rng, freq, channels)
    noise = c128(rng, freq, channels, 8)
    psd_n = noise @ hermitian(noise) / 8
    return a, a[..., :, None] * np.conj(a[..., None, :]), psd_n


@pytest.mark.parametrize("reference", [1, "one-hot"])
def test_mvdr_souden_is_distortionless(reference):
    a, psd_s, psd_n = rank_one_scene(9)
    ref = ember.tensor([0.0, 1.0, 0.0]) if reference == "one-hot" else reference
    w = F.mvdr_weights_souden(ember.tensor(psd_s), ember.tensor(psd_n), ref, eps=1e-20)
    # w^H a = a[ref]: the target at the reference channel passes unchanged
    response = (np.conj(w.numpy()) * a).sum(-1)
    np.testing.assert_allclose(response, a[:, 1], rtol=1e-6)


@pytest.mark.parametrize("reference", [None, 2, "one-hot"])
def test_mvdr_rtf_is_distortionless_with_minimum_noise(reference):
    a, _, psd_n = rank_one_scene(10)
    ref = ember.tensor([0.0, 0.0, 1.0]) if reference == "one-hot" else reference
    w = F.mvdr_weights_rtf(ember.tensor(a), ember.tensor(psd_n), ref, False, eps=0.0)
    w = w.numpy()
    gain = 1 if reference is None else a[:, 2]
    np.testing.assert_allclose((np.conj(w) * a).sum(-1), gain, rtol=1e-10)
    # the closed form Phi^-1 a / (a^H Phi^-1 a), scaled to the reference
    solved = np.linalg.solve(psd_n, a[..., None])[..., 0]
    expected = solved / (np.conj(a) * solved).sum(-1, keepdims=True).real
    np.testing.assert_allclose(w, expected * np.conj(gain)[..., None], rtol=1e-7)


def test_rtf_estimates_are_the_steering_vector():
    a, psd_s, psd_n = rank_one_scene(11)

    def parallel(v):  # |<v, a>| = |v| |a|
        inner = np.abs((np.conj(v) * a).sum(-1))
        return inner / (np.linalg.norm(v, axis=-1) * np.linalg.norm(a, axis=-1))

    evd = F.rtf_evd(ember.tensor(psd_s)).numpy()
    np.testing.assert_allclose(parallel(evd), 1, rtol=1e-10)
    for n_iter in (1, 2, 3):
        power = F.rtf_power(ember.tensor(psd_s), ember.tensor(psd_n), 0, n_iter=n_iter)
        np.testing.assert_allclose(parallel(power.numpy()), 1, rtol=1e-10)
    # one iteration is the reference column of psd_s (with the loaded noise PSD)
    one = F.rtf_power(ember.tensor(psd_s), ember.tensor(psd_n), 0, n_iter=1, diagonal_loading=False)
    np.testing.assert_allclose(one.numpy(), psd_s[..., 0], rtol=1e-10)
    tensor_ref = F.rtf_power(ember.tensor(psd_s), ember.tensor(psd_n), ember.tensor([1.0, 0, 0]))
    assert_close(tensor_ref, F.rtf_power(ember.tensor(psd_s), ember.tensor(psd_n), 0))


def test_apply_beamforming_and_modules():
    rng = np.random.default_rng(12)
    weights, specgram = c128(rng, 2, 4, 3), c128(rng, 2, 3, 4, 5)
    out = F.apply_beamforming(ember.tensor(weights), ember.tensor(specgram))
    expected = np.einsum("bfc,bcft->bft", np.conj(weights), specgram)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)

    a, psd_s, psd_n = rank_one_scene(13)
    y = ember.tensor(c128(rng, 3, 4, 5))
    souden = T.SoudenMVDR()(y, ember.tensor(psd_s), ember.tensor(psd_n), 0)
    w = F.mvdr_weights_souden(ember.tensor(psd_s), ember.tensor(psd_n), 0)
    assert_close(souden, F.apply_beamforming(w, y))
    rtf = T.RTFMVDR()(y, ember.tensor(a), ember.tensor(psd_n), 0)
    w = F.mvdr_weights_rtf(ember.tensor(a), ember.tensor(psd_n), 0)
    assert_close(rtf, F.apply_beamforming(w, y))


@pytest.mark.parametrize("solution", ["ref_channel", "stv_evd", "stv_power"])
def test_mvdr_module(solution):
    rng = np.random.default_rng(14)
    specgram = ember.tensor(c128(rng, 3, 4, 12)).to(ember.complex64)
    mask_s, mask_n = (ember.tensor(rng.uniform(0.1, 1, (4, 12))) for _ in range(2))
    module = T.MVDR(ref_channel=1, solution=solution)
    assert list(module.state_dict()) == ["psd_s", "psd_n", "mask_sum_s", "mask_sum_n"]
    out = module(specgram, mask_s, mask_n)
    assert out.shape == (4, 12) and out.dtype == ember.complex64
    # the weights of the solution, in complex128, from the masked PSD matrices
    spec = specgram.to(ember.complex128)
    psd_s, psd_n = F.psd(spec, mask_s, eps=1e-15), F.psd(spec, mask_n, eps=1e-15)
    if solution == "ref_channel":
        w = F.mvdr_weights_souden(psd_s, psd_n, ember.tensor([0.0, 1, 0]))
    else:
        stv = F.rtf_evd(psd_s) if solution == "stv_evd" else F.rtf_power(psd_s, psd_n, 1)
        w = F.mvdr_weights_rtf(stv, psd_n, 1)
    assert_close(out, F.apply_beamforming(w, spec).to(ember.complex64), rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match="mask_n"):
        module(specgram, mask_s)
    with pytest.raises(ValueError, match="must be one of"):
        T.MVDR(solution="x")
    with pytest.raises(ValueError, match="at least 3D"):
        module(specgram[0], mask_s)
    with pytest.raises(ValueError, match="cfloat"):
        module(specgram.real, mask_s, mask_n)


def test_mvdr_module_online_updates_the_statistics():
    rng = np.random.default_rng(15)
    specgram = ember.tensor(c128(rng, 3, 4, 12))
    mask_s, mask_n = (ember.tensor(rng.uniform(0.1, 1, (4, 12))) for _ in range(2))
    module = T.MVDR(online=True)
    first = module(specgram[..., :5], mask_s[..., :5], mask_n[..., :5])
    assert_close(first, T.MVDR()(specgram[..., :5], mask_s[..., :5], mask_n[..., :5]))
    psd_s1, sum_s1 = module.psd_s.clone(), module.mask_sum_s.clone()
    module(specgram[..., 5:], mask_s[..., 5:], mask_n[..., 5:])
    # torchaudio's update: the old PSD weighted by its mask share, plus the new (normalized)
    # PSD divided by the new mask total
    sum_s2 = mask_s[..., 5:].sum(-1)
    psd_s2 = F.psd(specgram[..., 5:], mask_s[..., 5:], eps=1e-15)
    total = (sum_s1 + sum_s2)[..., None, None]
    assert_close(module.psd_s, psd_s1 * sum_s1[..., None, None] / total + psd_s2 / total)
    assert_close(module.mask_sum_s, sum_s1 + sum_s2)


def test_beamforming_gradients():
    rng = np.random.default_rng(16)
    _, psd_s, psd_n = rank_one_scene(17, freq=2)
    parts = [t64(part, requires_grad=True) for m in (psd_s, psd_n) for part in (m.real, m.imag)]
    y = ember.tensor(c128(rng, 3, 2, 4))

    def souden(s_re, s_im, n_re, n_im):
        w = F.mvdr_weights_souden(ember.complex(s_re, s_im), ember.complex(n_re, n_im), 1)
        return ember.view_as_real(F.apply_beamforming(w, y))

    def rtf(s_re, s_im, n_re, n_im):
        s, n = ember.complex(s_re, s_im), ember.complex(n_re, n_im)
        w = F.mvdr_weights_rtf(F.rtf_power(s, n, ember.tensor([0.0, 1, 0])), n, 0)
        return ember.view_as_real(F.apply_beamforming(w, y))

    assert gradcheck(souden, parts)
    assert gradcheck(rtf, parts)


def test_beamforming_errors():
    psd = ember.zeros(2, 3, 3, dtype=ember.complex64)
    with pytest.raises(TypeError, match="cfloat"):
        F.mvdr_weights_souden(psd.real, psd, 0)
    with pytest.raises(ValueError, match="at least 3D"):
        F.mvdr_weights_souden(psd[0], psd[0], 0)
    with pytest.raises(TypeError, match='Expected "int" or "Tensor"'):
        F.mvdr_weights_souden(psd, psd, 0.5)
    with pytest.raises(ValueError, match="should be the same"):
        F.mvdr_weights_rtf(psd[..., 0], psd[:1], 0)
    with pytest.raises(ValueError, match="number of iteration"):
        F.rtf_power(psd, psd, 0, n_iter=0)
    with pytest.raises(TypeError, match="cfloat"):
        F.rtf_evd(psd.real)
    with pytest.raises(ValueError, match="mask"):
        F.psd(ember.zeros(3, 2, 4, dtype=ember.complex64), ember.zeros(2, 5))
    with pytest.raises(ValueError, match="beamform_weights"):
        F.apply_beamforming(psd[..., 0], ember.zeros(4, 3, 2, 5, dtype=ember.complex64))
