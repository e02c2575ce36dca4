"""interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area),
pixel_shuffle/unshuffle, affine_grid and grid_sample against pixel-by-pixel numpy references
written from torch's coordinate rules and against values printed in torch's documentation;
gradients by finite differences; torch's warnings and errors; the Upsample and PixelShuffle
layers."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close, check_op

rng = np.random.default_rng(0)


# ------------------------------------------------------------------ interpolate references


def _scale(n, m, align_corners, scale_factor):
    """Input pixels per output pixel along one axis (torch's area_pixel_compute_scale)."""
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    return 1.0 / scale_factor if scale_factor else n / m


def _nearest_src(j, n, m, scale_factor, exact):
    s = _scale(n, m, False, scale_factor)
    return min(math.floor((j + 0.5) * s if exact else j * s), n - 1)


def _linear_src(j, n, m, align_corners, scale_factor, cubic=False):
    """The real-valued source coordinate of output ``j``."""
    if n == m and not cubic:
        return float(j)  # torch copies an axis whose size does not change
    s = _scale(n, m, align_corners, scale_factor)
    if align_corners:
        return s * j
    src = s * (j + 0.5) - 0.5
    return src if cubic else max(src, 0.0)


def _cubic_kernel(d, a=-0.75):
    d = abs(d)
    if d <= 1:
        return (a + 2) * d**3 - (a + 3) * d**2 + 1
    if d < 2:
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a
    return 0.0


def _resize_ref(x, size, mode, align_corners=False, scale_factors=None):
    """Every output pixel computed on its own from the source coordinates of its position."""
    spatial = x.shape[2:]
    sf = scale_factors or [None] * len(spatial)
    out = np.zeros(x.shape[:2] + tuple(size))
    for pos in np.ndindex(*size):
        if mode in ("nearest", "nearest-exact"):
            src = tuple(
                _nearest_src(j, n, m, s, mode == "nearest-exact")
                for j, n, m, s in zip(pos, spatial, size, sf)
            )
            out[(..., *pos)] = x[(..., *src)]
            continue
        cubic = mode == "bicubic"
        real = [
            _linear_src(j, n, m, align_corners, s, cubic)
            for j, n, m, s in zip(pos, spatial, size, sf)
        ]
        # (index, weight) pairs of each axis
        taps = []
        for r, n in zip(real, spatial):
            i0 = min(math.floor(r), n - 1)
            if cubic:
                taps.append(
                    [
                        (min(max(i0 + k, 0), n - 1), _cubic_kernel(r - (i0 + k)))
                        for k in (-1, 0, 1, 2)
                    ]
                )
            else:
                t = r - i0
                taps.append([(i0, 1 - t), (min(i0 + 1, n - 1), t)])
        total = 0.0
        for combo in np.ndindex(*(len(t) for t in taps)):
            index = tuple(taps[d][k][0] for d, k in enumerate(combo))
            weight = math.prod(taps[d][k][1] for d, k in enumerate(combo))
            total = total + weight * x[(..., *index)]
        out[(..., *pos)] = total
    return out


RESIZES = [
    # (input shape, output size, mode)
    ((2, 3, 5), (9,), "nearest"),
    ((2, 3, 7), (3,), "nearest"),
    ((1, 2, 4, 5), (7, 3), "nearest"),
    ((1, 2, 3, 2, 4), (5, 3, 6), "nearest"),
    ((2, 1, 5), (8,), "nearest-exact"),
    ((1, 2, 6, 5), (4, 9), "nearest-exact"),
    ((2, 3, 5), (8,), "linear"),
    ((2, 3, 7), (4,), "linear"),
    ((1, 2, 4, 5), (7, 3), "bilinear"),
    ((1, 2, 6, 5), (3, 5), "bilinear"),
    ((1, 2, 3, 4), (6, 7), "bicubic"),
    ((1, 1, 7, 6), (4, 3), "bicubic"),
    ((1, 1, 2, 3, 4), (3, 2, 5), "trilinear"),
]


@pytest.mark.parametrize("shape,size,mode", RESIZES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_to_size(shape, size, mode, align_corners):
    if mode.startswith("nearest"):
        if align_corners:
            pytest.skip("align_corners applies to the interpolating modes")
        align_corners = None
    x = rng.standard_normal(shape)
    check_op(
        lambda t: F.interpolate(t, size=size, mode=mode, align_corners=align_corners),
        lambda a: _resize_ref(a, size, mode, bool(align_corners)),
        x,
    )


@pytest.mark.parametrize(
    "mode,align_corners", [("nearest", None), ("bilinear", False), ("bicubic", False)]
)
@pytest.mark.parametrize("factor", [2, 2.5, 0.6, (1.5, 0.75)])
def test_interpolate_scale_factor_uses_its_inverse(mode, align_corners, factor):
    x = rng.standard_normal((1, 2, 5, 4))
    factors = list(factor) if isinstance(factor, tuple) else [factor] * 2
    size = [math.floor(n * f) for n, f in zip(x.shape[2:], factors)]
    expected = _resize_ref(x, size, mode, bool(align_corners), factors)
    got = F.interpolate(
        ember.tensor(x), scale_factor=factor, mode=mode, align_corners=align_corners
    )
    assert_close(got, expected)
    # recompute_scale_factor: the coordinates follow the sizes instead
    recomputed = F.interpolate(
        ember.tensor(x),
        scale_factor=factor,
        mode=mode,
        align_corners=align_corners,
        recompute_scale_factor=True,
    )
    assert_close(recomputed, _resize_ref(x, size, mode, bool(align_corners)))


def test_interpolate_same_size_linear_copies():
    x = rng.standard_normal((1, 1, 5))
    # scale 1.1 keeps 5 pixels: torch copies instead of resampling with 1 / 1.1
    y = F.interpolate(ember.tensor(x), scale_factor=1.1, mode="linear")
    assert_close(y, x)


def test_interpolate_documented_values():
    # the examples of torch.nn.Upsample's documentation
    x = ember.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    assert F.interpolate(x, scale_factor=2).tolist() == [
        [[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]]
    ]
    bilinear = [[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5]]
    bilinear.append([3.0, 3.25, 3.75, 4.0])
    assert_close(F.interpolate(x, scale_factor=2, mode="bilinear"), np.array([[bilinear]]))
    aligned = np.array([[3, 4, 5, 6], [5, 6, 7, 8], [7, 8, 9, 10], [9, 10, 11, 12]]) / 3
    got = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    assert_close(got, aligned[None, None], atol=1e-6, rtol=0)
    x3 = ember.zeros(1, 1, 3, 3)
    x3[:, :, :2, :2] = x
    got = F.interpolate(x3, scale_factor=2, mode="bilinear")
    assert_close(got[0, 0, 3], np.array([2.25, 2.4375, 2.8125, 2.25, 0.75, 0.0], dtype=np.float32))
    got = F.interpolate(x3, scale_factor=2, mode="bilinear", align_corners=True)
    assert_close(got[0, 0, 1], np.array([1.8, 2.2, 2.6, 2.24, 1.12, 0.0], dtype=np.float32))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolate_gradients_second_order(mode):
    x = ember.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    gradgradcheck(lambda t: F.interpolate(t, size=(5, 3), mode=mode, **kwargs) ** 2, (x,))


def test_interpolate_nearest_integer_and_area():
    x = ember.arange(6).reshape(1, 1, 2, 3)
    y = F.interpolate(x, scale_factor=2)
    assert y.dtype == ember.int64
    assert y[0, 0, 0].tolist() == [0, 0, 1, 1, 2, 2]
    f = rng.standard_normal((2, 3, 7, 5))
    area = F.interpolate(ember.tensor(f), size=(3, 2), mode="area")
    assert_close(area, F.adaptive_avg_pool2d(ember.tensor(f), (3, 2)))
    area = F.interpolate(ember.tensor(f[:, :, 0]), scale_factor=0.5, mode="area")
    assert_close(area, F.adaptive_avg_pool1d(ember.tensor(f[:, :, 0]), 2))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolate_on_device(mode, device):
    x = rng.standard_normal((2, 2, 4, 3))
    align_corners = None if mode == "nearest" else True
    check_op(
        lambda t: F.interpolate(t, size=(6, 5), mode=mode, align_corners=align_corners),
        lambda a: _resize_ref(a, (6, 5), mode, bool(align_corners)),
        x,
        device=device,
    )


def test_interpolate_errors():
    x = ember.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(x, size=2, recompute_scale_factor=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, size=2, mode="linear")
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D"):
        F.interpolate(ember.zeros(1, 1, 4), size=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input .*\(got bogus\)"):
        F.interpolate(x, size=2, mode="bogus")
    with pytest.raises(RuntimeError, match="Input and output sizes should be greater than 0"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(x, size=2, antialias=True)


# ------------------------------------------------------------------------- pixel shuffle


def test_pixel_shuffle_matches_definition_and_round_trips():
    r = 2
    x = rng.standard_normal((2, 3 * r * r, 3, 4))
    expected = np.zeros((2, 3, 3 * r, 4 * r))
    for c in range(3):
        for i in range(r):
            for j in range(r):
                expected[:, c, i::r, j::r] = x[:, c * r * r + i * r + j]
    check_op(lambda t: F.pixel_shuffle(t, r), lambda a: expected, x)
    y = F.pixel_shuffle(ember.tensor(x), r)
    assert_close(F.pixel_unshuffle(y, r), x)
    # any number of leading dims, and the layers
    z = rng.standard_normal((2, 2, 9, 2, 3))
    assert_close(nn.PixelUnshuffle(3)(nn.PixelShuffle(3)(ember.tensor(z))), z)
    assert repr(nn.PixelShuffle(3)) == "PixelShuffle(upscale_factor=3)"
    assert repr(nn.PixelUnshuffle(2)) == "PixelUnshuffle(downscale_factor=2)"


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(ember.zeros(4, 4), 2)
    with pytest.raises(RuntimeError, match=r"input.size\(-3\)=6 is not divisible by 4"):
        F.pixel_shuffle(ember.zeros(6, 2, 2), 2)
    with pytest.raises(RuntimeError, match=r"expects height .* input.size\(-2\)=3"):
        F.pixel_unshuffle(ember.zeros(1, 3, 4), 2)
    with pytest.raises(RuntimeError, match="positive downscale_factor"):
        F.pixel_unshuffle(ember.zeros(1, 4, 4), 0)


# ---------------------------------------------------------------- affine_grid / grid_sample


def _base_coordinate(j, n, align_corners):
    if n == 1:
        return 0.0
    return -1 + 2 * j / (n - 1) if align_corners else (2 * j + 1) / n - 1


def _affine_grid_ref(theta, size, align_corners):
    n, _, h, w = size
    grid = np.zeros((n, h, w, 2))
    for b in range(n):
        for i in range(h):
            for j in range(w):
                point = [
                    _base_coordinate(j, w, align_corners),
                    _base_coordinate(i, h, align_corners),
                    1,
                ]
                grid[b, i, j] = theta[b] @ point
    return grid


def _reflect_ref(coord, size, align_corners):
    """Mirror at the border pixel centres (align_corners) or edges until inside."""
    if align_corners:
        period = 2 * (size - 1)
        if period == 0:
            return 0.0
        t = abs(coord) % period
        return period - t if t > size - 1 else t
    t = abs(coord + 0.5) % (2 * size)
    return (2 * size - t if t > size else t) - 0.5


def _grid_sample_ref(x, grid, mode, padding_mode, align_corners):
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])
    for b in range(n):
        for i, j in np.ndindex(*grid.shape[1:3]):
            coords = []
            for g, size in zip(grid[b, i, j], (w, h)):
                p = (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2
                if padding_mode == "reflection":
                    p = _reflect_ref(p, size, align_corners)
                if padding_mode != "zeros":
                    p = min(max(p, 0), size - 1)
                coords.append(p)
            px, py = coords
            if mode == "nearest":
                corners = [(round(py), round(px), 1.0)]  # Python rounds half to even, as torch
            else:
                x0, y0 = math.floor(px), math.floor(py)
                ax, ay = px - x0, py - y0
                corners = [
                    (y0, x0, (1 - ay) * (1 - ax)),
                    (y0, x0 + 1, (1 - ay) * ax),
                    (y0 + 1, x0, ay * (1 - ax)),
                    (y0 + 1, x0 + 1, ay * ax),
                ]
            for r, s, weight in corners:
                if 0 <= r < h and 0 <= s < w:
                    out[b, :, i, j] += weight * x[b, :, r, s]
    return out


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_definition_and_gradient(align_corners):
    theta = rng.standard_normal((2, 2, 3))
    size = (2, 3, 4, 5)
    check_op(
        lambda t: F.affine_grid(t, size, align_corners=align_corners),
        lambda a: _affine_grid_ref(a, size, align_corners),
        theta,
    )


def test_affine_grid_3d_identity():
    theta = ember.tensor(np.eye(3, 4)[None])
    grid = F.affine_grid(theta, (1, 1, 2, 3, 4), align_corners=True)
    assert grid.shape == (1, 2, 3, 4, 3)
    assert_close(grid[0, 1, 2, 3], np.array([1.0, 1.0, 1.0]))
    assert_close(grid[0, 0, 0, 0], np.array([-1.0, -1.0, -1.0]))


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_identity_grid_reproduces_input(padding_mode, mode, align_corners):
    x = rng.standard_normal((2, 3, 4, 5))
    theta = ember.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    grid = F.affine_grid(theta, x.shape, align_corners=align_corners)
    y = F.grid_sample(
        ember.tensor(x), grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners
    )
    assert_close(y, x)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_bilinear_reference_and_gradients(padding_mode, align_corners):
    x = rng.standard_normal((2, 2, 3, 4))
    # points inside and well outside the input, away from the kinks of floor and clamp
    grid = rng.uniform(-1.8, 1.8, (2, 3, 2, 2))
    check_op(
        lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode, align_corners=align_corners),
        lambda a, g: _grid_sample_ref(a, g, "bilinear", padding_mode, align_corners),
        x,
        grid,
    )


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_nearest_reference(padding_mode):
    x = rng.standard_normal((1, 2, 4, 3))
    grid = rng.uniform(-1.5, 1.5, (1, 4, 3, 2))
    y = F.grid_sample(
        ember.tensor(x),
        ember.tensor(grid),
        mode="nearest",
        padding_mode=padding_mode,
        align_corners=False,
    )
    assert_close(y, _grid_sample_ref(x, grid, "nearest", padding_mode, False))


def test_grid_sample_second_order_and_device(device):
    x = ember.tensor(rng.standard_normal((1, 2, 3, 3)), device=device, requires_grad=True)
    g = ember.tensor(rng.uniform(-1, 1, (1, 2, 2, 2)), device=device, requires_grad=True)
    gradcheck(lambda a, b: F.grid_sample(a, b, align_corners=True), (x, g))
    gradgradcheck(lambda a, b: F.grid_sample(a, b, align_corners=True), (x, g))


def test_grid_sample_zeros_outside_and_nearest_grid_gradient():
    x = ember.ones(1, 1, 2, 2)
    far = ember.tensor([[[[5.0, 0.0], [-1.0, -1.0]]]], requires_grad=True)
    y = F.grid_sample(x, far, align_corners=True)
    assert y.tolist() == [[[[0.0, 1.0]]]]
    y = F.grid_sample(x, far, mode="nearest", align_corners=True)
    y.sum().backward()
    assert far.grad.tolist() == [[[[0.0, 0.0], [0.0, 0.0]]]]


def test_align_corners_none_warns_like_torch():
    theta = ember.tensor(np.eye(2, 3)[None], dtype=ember.float32)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        grid = F.affine_grid(theta, (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(ember.zeros(1, 1, 2, 2), grid)
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(theta, (1, 1, 1, 2), align_corners=True)


def test_affine_grid_and_grid_sample_errors():
    theta = ember.zeros(1, 2, 3)
    with pytest.raises(ValueError, match="floating point type"):
        F.affine_grid(ember.zeros(1, 2, 3, dtype=ember.int64), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="Nx2x3 for size"):
        F.affine_grid(ember.zeros(1, 3, 3), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match="only supports 4D and 5D sizes"):
        F.affine_grid(theta, (1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="Expected non-zero, positive output size"):
        F.affine_grid(theta, (1, 1, 0, 2), align_corners=False)
    x = ember.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 2), mode="area", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 2), padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(x, ember.zeros(2, 2, 2, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="size 2 in last dimension"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.grid_sample(x, ember.zeros(1, 2, 2), align_corners=False)


# ----------------------------------------------------------------------------- the layers


def test_upsample_layers():
    x = ember.tensor(rng.standard_normal((1, 2, 3, 4)))
    up = nn.Upsample(scale_factor=2)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert_close(up(x), F.interpolate(x, scale_factor=2.0))
    up = nn.Upsample(size=(5, 7), mode="bicubic", align_corners=True)
    assert repr(up) == "Upsample(size=(5, 7), mode='bicubic')"
    assert_close(up(x), F.interpolate(x, size=(5, 7), mode="bicubic", align_corners=True))
    assert nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)
    bilinear = nn.UpsamplingBilinear2d(scale_factor=2)
    assert repr(bilinear) == "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')"
    expected = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    assert_close(bilinear(x), expected)
    nearest = nn.UpsamplingNearest2d(size=6)
    assert_close(nearest(x), F.interpolate(x, size=6))
    assert isinstance(nearest, nn.Upsample)


def test_generator_state_replays_the_draws_that_follow(device):
    g = ember.Generator(device=device).manual_seed(7)
    ember.rand(5, generator=g, device=device)
    state = g.get_state()
    first = ember.randn(3, 4, generator=g, device=device).cpu()
    ember.rand(9, generator=g, device=device)
    g.set_state(state)
    assert_close(ember.randn(3, 4, generator=g, device=device).cpu(), first)
    # the default generator of the device, through its module's functions
    rng = ember.cuda if device == "cuda" else ember
    saved = rng.get_rng_state()
    drop = ember.nn.functional.dropout(ember.ones(64, device=device), 0.5).cpu()
    rng.set_rng_state(saved)
    assert_close(ember.nn.functional.dropout(ember.ones(64, device=device), 0.5).cpu(), drop)


@pytest.mark.gpu
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU")
def test_cuda_generator_refuses_a_cpu_state():
    with pytest.raises(RuntimeError, match="not a state of a CUDA generator"):
        ember.Generator(device="cuda").set_state(ember.Generator().get_state())


def test_multinomial_rows_at_once_on_the_device(device):
    weights = np.array([[0.0, 1.0, 3.0, 0.0], [2.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 5.0]])
    w = ember.tensor(weights, device=device)
    g = ember.Generator(device=device).manual_seed(3)
    drawn = ember.multinomial(w, 4000, replacement=True, generator=g)
    assert drawn.device == w.device and drawn.dtype is ember.int64 and drawn.shape == (3, 4000)
    counts = np.stack([np.bincount(row, minlength=4) for row in drawn.cpu().numpy()])
    expected = weights / weights.sum(1, keepdims=True)
    np.testing.assert_array_equal(counts[expected == 0], 0)  # never a zero-weight category
    np.testing.assert_allclose(counts / 4000, expected, atol=0.03)
    # without replacement: distinct categories, the zero-weight ones only once all others are
    # taken; the first draw follows the weights
    picks = ember.multinomial(ember.tensor(weights[:2], device=device), 2, generator=g).cpu()
    for row, chosen in zip(weights[:2], picks.numpy()):
        assert len(set(chosen)) == 2 and (row[chosen] > 0).all()
    firsts = ember.multinomial(
        ember.tensor([[1.0, 3.0]], device=device).expand(4000, 2), 1, generator=g
    )
    assert abs(firsts.float().mean().item() - 0.75) < 0.03
    assert ember.multinomial(ember.tensor([0.0, 2.0], device=device), 1).tolist() == [1]
    for bad, message in [
        ([[0.0, 0.0]], "sum of probabilities <= 0"),
        ([[1.0, -1.0]], "element < 0"),
        ([[[1.0]]], "prob_dist must be 1 or 2 dim"),
    ]:
        with pytest.raises(RuntimeError, match=message):
            ember.multinomial(ember.tensor(bad, device=device), 1, replacement=True)
