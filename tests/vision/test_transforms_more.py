"""embervision.transforms: perspective (RandomPerspective), elastic deformation
(ElasticTransform) and AugMix. Geometry is checked against hand-computed pixel positions and
between the PIL and tensor paths; random transforms under ember.manual_seed."""

import numpy as np
import pytest
from PIL import Image

import ember
import embervision.transforms as T
import embervision.transforms.functional as F
from embervision.transforms import InterpolationMode


def _noise(h, w, seed=0):
    """Random uint8 HWC RGB array."""
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _chw(array):
    return ember.tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


def _hwc(img):
    """A PIL image or CHW tensor as an int HWC array."""
    if isinstance(img, ember.Tensor):
        return img.numpy().transpose(1, 2, 0).astype(np.int64)
    return np.asarray(img).astype(np.int64)


def _corners(w, h):
    return [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]


# a genuinely projective map of a 20 x 16 image (the corners move unevenly)
_START = _corners(20, 16)
_END = [[2, 1], [17, 3], [19, 14], [1, 12]]


# ------------------------------------------------------------------------------ perspective


def test_perspective_coeffs_map_endpoints_to_startpoints():
    a, b, c, d, e, f, g, h = F._get_perspective_coeffs(_START, _END)
    for (x, y), (u, v) in zip(_END, _START):
        denominator = g * x + h * y + 1
        assert abs((a * x + b * y + c) / denominator - u) < 1e-4
        assert abs((d * x + e * y + f) / denominator - v) < 1e-4
    with pytest.raises(ValueError, match="exactly four corners"):
        F._get_perspective_coeffs(_START[:3], _END[:3])


def test_perspective_identity_returns_the_input():
    array = _noise(16, 14)
    corners = _corners(14, 16)
    x = _chw(array)
    for mode in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        assert ember.equal(F.perspective(x, corners, corners, mode), x)
    xf = x.float() / 255
    np.testing.assert_allclose(F.perspective(xf, corners, corners).numpy(), xf.numpy(), atol=1e-5)
    pil = Image.fromarray(array)
    nearest = F.perspective(pil, corners, corners, InterpolationMode.NEAREST)
    np.testing.assert_array_equal(np.asarray(nearest), array)
    # the solved coefficients are the identity only to ~1e-15, and Pillow's 8-bit bilinear
    # truncates, so a value may drop by one (torchvision's result, too)
    bilinear = F.perspective(pil, corners, corners)
    assert np.abs(_hwc(bilinear) - array).max() <= 1


@pytest.mark.parametrize("to_image", [Image.fromarray, _chw], ids=["pil", "tensor"])
def test_perspective_translation_moves_a_marked_pixel(to_image):
    # endpoints = startpoints + (3, 2): each output pixel reads the input 3 left and 2 up
    array = np.zeros((12, 10, 3), np.uint8)
    array[4, 5] = [200, 100, 50]
    start = _corners(10, 12)
    end = [[x + 3, y + 2] for x, y in start]
    for mode in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        out = _hwc(F.perspective(to_image(array), start, end, mode))
        # (Pillow's 8-bit bilinear truncates weights of 1 - 1e-15 by one)
        assert np.abs(out[6, 8] - [200, 100, 50]).max() <= 1
        assert np.count_nonzero(out.sum(-1)) == 1


@pytest.mark.parametrize("to_image", [Image.fromarray, _chw], ids=["pil", "tensor"])
def test_perspective_projective_map_by_hand(to_image):
    # a marked input pixel shows wherever an output pixel centre maps into it (nearest)
    a, b, c, d, e, f, g, h = F._get_perspective_coeffs(_START, _END)
    ys, xs = np.mgrid[0:16, 0:20] + 0.5
    denominator = g * xs + h * ys + 1
    src_x = np.floor((a * xs + b * ys + c) / denominator)
    src_y = np.floor((d * xs + e * ys + f) / denominator)
    array = np.zeros((16, 20, 3), np.uint8)
    array[6:9, 8:11] = 255
    out = _hwc(F.perspective(to_image(array), _START, _END, InterpolationMode.NEAREST))
    expected = (src_x >= 8) & (src_x <= 10) & (src_y >= 6) & (src_y <= 8)
    assert expected.sum() >= 3
    np.testing.assert_array_equal(out[..., 0] == 255, expected)


def test_perspective_tensor_matches_pil():
    array = _noise(16, 20, seed=3)
    pil = Image.fromarray(array)
    x = _chw(array)
    nearest_pil = F.perspective(pil, _START, _END, InterpolationMode.NEAREST, fill=[10, 20, 30])
    nearest = F.perspective(x, _START, _END, InterpolationMode.NEAREST, fill=[10.0, 20.0, 30.0])
    mismatched = (_hwc(nearest_pil) != _hwc(nearest)).any(-1).mean()
    assert mismatched < 0.02
    # bilinear: inside, Pillow differs only by truncating; along the edge of the transformed
    # image it blends the border differently from the tensor path's mask
    yy, xx = np.mgrid[0:16, 0:20]
    smooth = np.stack([xx * 12, yy * 15, (xx + yy) * 7], -1).astype(np.uint8)
    bilinear_pil = F.perspective(Image.fromarray(smooth), _START, _END)
    bilinear = F.perspective(_chw(smooth), _START, _END)
    assert np.abs(_hwc(bilinear_pil) - _hwc(bilinear))[3:-3, 3:-3].max() <= 1


def test_perspective_batched_dtypes_and_errors():
    x = ember.tensor(np.random.default_rng(0).random((2, 4, 3, 16, 20)), dtype=ember.float64)
    out = F.perspective(x, _START, _END)
    assert out.shape == x.shape and out.dtype == ember.float64
    np.testing.assert_allclose(out[1, 2].numpy(), F.perspective(x[1, 2], _START, _END).numpy())
    with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported"):
        F.perspective(x, _START, _END, InterpolationMode.BICUBIC)
    with pytest.raises(TypeError, match="Argument interpolation should be"):
        F.perspective(x, _START, _END, "bilinear")
    with pytest.raises(ValueError, match="The number of elements in 'fill'"):
        F.perspective(x, _START, _END, fill=[1.0, 2.0])


def test_random_perspective(seeded):
    array = _noise(16, 20)
    x = _chw(array)
    assert T.RandomPerspective(p=0.0)(x) is x
    startpoints, endpoints = T.RandomPerspective.get_params(20, 16, 0.5)
    assert startpoints == _START
    # each corner moves inwards by at most distortion_scale * half the size
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = endpoints
    assert 0 <= tlx <= 5 and 0 <= tly <= 4 and 14 <= trx <= 19 and 0 <= try_ <= 4
    assert 14 <= brx <= 19 and 11 <= bry <= 15 and 0 <= blx <= 5 and 11 <= bly <= 15
    assert T.RandomPerspective.get_params(20, 16, 0.0)[1] == _START

    transform = T.RandomPerspective(distortion_scale=0.8, p=1.0, fill=7)
    ember.manual_seed(5)
    out = transform(x)
    ember.manual_seed(5)
    ember.rand(1)  # the draw of p
    expected = F.perspective(x, *T.RandomPerspective.get_params(20, 16, 0.8), fill=[7.0] * 3)
    assert ember.equal(out, expected)
    assert isinstance(transform(Image.fromarray(array)), Image.Image)
    assert repr(transform) == "RandomPerspective(p=1.0)"
    assert T.RandomPerspective(interpolation=0).interpolation == InterpolationMode.NEAREST
    with pytest.raises(TypeError, match="Fill should be either a sequence or a number"):
        T.RandomPerspective(fill={1})


# -------------------------------------------------------------------------------- elastic


def test_elastic_zero_displacement_is_identity():
    array = _noise(24, 22)
    x = _chw(array)
    assert ember.equal(F.elastic_transform(x, ember.zeros(1, 24, 22, 2)), x)
    assert ember.equal(T.ElasticTransform(alpha=0.0)(x), x)
    xf = x.float() / 255
    np.testing.assert_allclose(T.ElasticTransform(alpha=0.0)(xf).numpy(), xf.numpy(), atol=1e-6)
    pil = T.ElasticTransform(alpha=0.0)(Image.fromarray(array))
    assert pil.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(pil), array)


def test_elastic_fixed_displacement_shifts_by_whole_pixels():
    # dx = 2 / W is one pixel in grid_sample's normalised units: output x reads input x + 1
    array = _noise(10, 8)
    displacement = ember.zeros(1, 10, 8, 2)
    displacement[..., 0] = 2 / 8
    displacement[..., 1] = -2 * 2 / 10  # and two rows up
    out = _hwc(F.elastic_transform(_chw(array), displacement, fill=[1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out[2:, :-1], array[:-2, 1:])
    assert (out[:2] == [1, 2, 3]).all() and (out[:, -1] == [1, 2, 3]).all()
    # the PIL path goes through the tensor path
    pil = F.elastic_transform(Image.fromarray(array), displacement, fill=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(pil), out)
    nearest = F.elastic_transform(_chw(array), displacement, InterpolationMode.NEAREST)
    np.testing.assert_array_equal(_hwc(nearest)[2:, :-1], array[:-2, 1:])


def test_elastic_displacement_statistics(seeded):
    alpha, size = [30.0, 12.0], [64, 48]
    # without blur, dx is uniform in [-1, 1] * alpha_x / width, dy in [-1, 1] * alpha_y / height
    d = T.ElasticTransform.get_params(alpha, [0.0, 0.0], size).numpy()
    assert d.shape == (1, 64, 48, 2) and d.dtype == np.float32
    for i, bound in enumerate([alpha[0] / size[1], alpha[1] / size[0]]):
        field = d[..., i] / bound
        assert np.abs(field).max() <= 1 and np.abs(field).max() > 0.99
        assert abs(field.mean()) < 0.05 and abs(field.std() - 1 / np.sqrt(3)) < 0.03
    # blurring makes the field smooth: smaller and strongly correlated between neighbours
    smooth = T.ElasticTransform.get_params(alpha, [2.0, 2.0], size).numpy()[0, ..., 0]
    assert smooth.std() < 0.5 * d[0, ..., 0].std()
    assert np.corrcoef(smooth[:, :-1].ravel(), smooth[:, 1:].ravel())[0, 1] > 0.8


def test_elastic_transform_class(seeded):
    x = _chw(_noise(24, 24))
    transform = T.ElasticTransform(alpha=20.0, sigma=2.0, fill=5)
    ember.manual_seed(1)
    out = transform(x)
    ember.manual_seed(1)
    displacement = T.ElasticTransform.get_params([20.0, 20.0], [2.0, 2.0], [24, 24])
    assert ember.equal(out, F.elastic_transform(x, displacement, fill=[5.0]))
    assert not ember.equal(out, x) and out.dtype == ember.uint8
    assert transform.alpha == [20.0, 20.0] and transform.fill == [5.0]
    assert (
        repr(transform) == "ElasticTransform(alpha=[20.0, 20.0], sigma=[2.0, 2.0], "
        "interpolation=InterpolationMode.BILINEAR, fill=[5.0])"
    )


def test_elastic_errors():
    x = ember.zeros(3, 8, 8)
    with pytest.raises(TypeError, match="alpha should be float or a sequence of floats"):
        T.ElasticTransform(alpha=50)  # torchvision rejects ints, too
    with pytest.raises(ValueError, match="If sigma is a sequence its length should be 2"):
        T.ElasticTransform(sigma=[1.0])
    with pytest.raises(TypeError, match="sigma should be a sequence of floats"):
        T.ElasticTransform(sigma=[1.0, 2])
    with pytest.raises(TypeError, match="fill should be int or float"):
        T.ElasticTransform(fill=None)
    with pytest.raises(ValueError, match=r"displacement shape should be \(1, 8, 8, 2\)"):
        F.elastic_transform(x, ember.zeros(1, 8, 7, 2))
    with pytest.raises(TypeError, match="Argument displacement should be a Tensor"):
        F.elastic_transform(x, np.zeros((1, 8, 8, 2)))
    with pytest.warns(UserWarning, match="should be of type InterpolationMode"):
        F.elastic_transform(x, ember.zeros(1, 8, 8, 2), interpolation=2)


# ---------------------------------------------------------------------------------- AugMix


def test_augmix_shapes_dtypes_and_determinism(seeded):
    array = _noise(16, 14)
    inputs = [
        _chw(array),
        ember.stack([_chw(array), _chw(_noise(16, 14, seed=1))]),
        Image.fromarray(array),
        Image.fromarray(array).convert("L"),
    ]
    augment = T.AugMix()
    for img in inputs:
        runs = []
        for seed in (4, 4, 5):
            ember.manual_seed(seed)
            runs.append(augment(img))
        if isinstance(img, ember.Tensor):
            assert runs[0].shape == img.shape and runs[0].dtype == ember.uint8
            assert ember.equal(runs[0], runs[1]) and not ember.equal(runs[0], runs[2])
        else:
            assert runs[0].mode == img.mode and runs[0].size == img.size
            assert runs[0].tobytes() == runs[1].tobytes() != runs[2].tobytes()


class _FixedWeights(T.AugMix):
    """AugMix with set Dirichlet samples, recording the parameters it was asked for."""

    def __init__(self, weights, **kwargs):
        super().__init__(**kwargs)
        self.weights = list(weights)
        self.params = []

    def _sample_dirichlet(self, params):
        self.params.append(params)
        return ember.tensor(self.weights.pop(0)).expand(params.shape[0], -1)


def test_augmix_mixing_weights(seeded):
    x = _chw(_noise(16, 14))
    batch = ember.stack([x, x, x])
    # all weight on the original image: the input comes back
    augment = _FixedWeights([[1.0, 0.0], [0.2, 0.3, 0.5]], mixture_width=3, alpha=0.7)
    assert ember.equal(augment(batch), batch)
    beta, chains = augment.params
    assert beta.shape == (3, 2) and chains.shape == (3, 3)
    np.testing.assert_allclose(chains.numpy(), 0.7, rtol=1e-6)
    # all weight on the first chain, of one operation: the output is that operation, drawn
    # in torchvision's order (operation, magnitude bin, sign)
    from embervision.transforms.autoaugment import _apply_op

    for seed in range(4):
        augment = _FixedWeights([[0.0, 1.0], [1.0, 0.0]], mixture_width=2, chain_depth=1)
        ember.manual_seed(seed)
        out = augment(x)
        ember.manual_seed(seed)
        space = augment._augmentation_space(10, (16, 14))
        op_name = list(space)[int(ember.randint(len(space), (1,)).item())]
        magnitudes, signed = space[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = float(magnitudes[int(ember.randint(3, (1,)).item())])
        if signed and ember.randint(2, (1,)).item():
            magnitude = -magnitude
        expected = _apply_op(x[None], op_name, magnitude, InterpolationMode.BILINEAR, None)
        assert ember.equal(out, expected[0]), op_name


def test_augmix_space_repr_errors():
    space = T.AugMix()._augmentation_space(10, (30, 21))
    assert list(space)[:9] == [
        "ShearX",
        "ShearY",
        "TranslateX",
        "TranslateY",
        "Rotate",
        "Posterize",
        "Solarize",
        "AutoContrast",
        "Equalize",
    ]
    assert list(space)[9:] == ["Brightness", "Color", "Contrast", "Sharpness"]
    assert len(T.AugMix(all_ops=False)._augmentation_space(10, (30, 21))) == 9
    assert space["Posterize"][0].tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]
    assert abs(space["TranslateX"][0][-1].item() - 7.0) < 1e-6
    assert (
        repr(T.AugMix()) == "AugMix(severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, "
        "all_ops=True, interpolation=InterpolationMode.BILINEAR, fill=None)"
    )
    with pytest.raises(ValueError, match=r"The severity must be between \[1, 10\]. Got 11"):
        T.AugMix(severity=11)


# ---------------------------------------------------------------------------------- devices


def test_perspective_and_elastic_on_device(device):
    x = _chw(_noise(16, 20))
    displacement = T.ElasticTransform.get_params([8.0, 8.0], [1.0, 1.0], [16, 20])
    ops = [
        lambda t: F.perspective(t, _START, _END, fill=[1.0, 2.0, 3.0]),
        lambda t: F.elastic_transform(t, displacement),
    ]
    for op in ops:
        on_device = op(x.to(device))
        assert on_device.device.type == device
        np.testing.assert_array_equal(on_device.cpu().numpy(), op(x).numpy())
