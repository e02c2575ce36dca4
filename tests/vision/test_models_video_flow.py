"""embervision's video classification models (embervision.models.video: R3D, MC3, R(2+1)D,
S3D, MViT V1/V2, Video Swin Transformer) and RAFT optical flow
(embervision.models.optical_flow).

Each builder's state dict must equal torchvision's key for key and shape for shape: SIGNATURES
holds (number of keys, sha256 of the sorted "key:shape" lines, parameter count), computed once
with torchvision 0.29.1 (torch 2.13, CPU) as in tests/vision/test_models_zoo.py; the counts are
the ``num_params`` of torchvision's weights. The pieces with their own arithmetic (relative
positions, window masks, pooled tokens, positional encodings, correlation pyramid, convex
upsampling) are checked against loops over the definitions; the numerical agreement of whole
models with torchvision is in tests/parity/test_models_video_flow.py.
"""

import hashlib
import itertools
import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.safetensors import save_file
from embervision import models
from embervision.models import optical_flow, video
from embervision.models.optical_flow import _utils as flow_utils
from embervision.models.optical_flow import raft
from embervision.models.video import mvit, resnet, swin_transformer

# fmt: off
SIGNATURES = {
    "r3d_18": (122, "69068cafeb026d8b", 33_371_472),
    "mc3_18": (122, "8ac02768405591db", 11_695_440),
    "r2plus1d_18": (224, "6a21f921b86b9608", 31_505_325),
    "s3d": (464, "8062a3af1c847948", 8_320_048),
    "mvit_v1_b": (313, "78d4e7b62b499206", 36_610_672),
    "mvit_v2_s": (397, "4e017fd8fb5f024e", 34_537_744),
    "swin3d_t": (185, "13b377ea4c2d3136", 28_158_070),
    "swin3d_s": (353, "22364a175ed1c184", 49_816_678),
    "swin3d_b": (353, "aa910d2daa3afb5a", 88_048_984),
    "raft_large": (169, "8772a40e684ee262", 5_257_536),
    "raft_small": (106, "2e0d45dc5d6aeb14", 990_162),
}
# fmt: on
VIDEO = ["mc3_18", "mvit_v1_b", "mvit_v2_s", "r2plus1d_18", "r3d_18", "s3d"]
VIDEO += ["swin3d_b", "swin3d_s", "swin3d_t"]


def _signature(model):
    lines = sorted(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return len(lines), digest, sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    "name",
    # swin3d_b takes 2 s to initialise; swin3d_s has the same keys at a smaller width
    [pytest.param(n, marks=pytest.mark.slow) if n == "swin3d_b" else n for n in SIGNATURES],
)
def test_state_dict_matches_torchvision(name):
    assert _signature(models.get_model(name)) == SIGNATURES[name]


def test_registry():
    # as torchvision: the subpackages' models are registered, listed by module
    assert models.list_models(module=video) == VIDEO
    assert models.list_models(module=optical_flow) == ["raft_large", "raft_small"]
    assert set(VIDEO) | {"raft_large"} <= set(models.list_models())
    assert not set(VIDEO) & set(models.list_models(module=models))
    assert models.get_model_builder("R3D_18") is video.r3d_18
    assert isinstance(models.get_model("raft_small"), optical_flow.RAFT)


def _grad_norms(model):
    return [p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in model.parameters()]


# ------------------------------------------------------------------------------ video ResNets


def test_video_resnet_layers(seeded):
    r3d, mc3, r2plus1d = video.r3d_18(), video.mc3_18(), video.r2plus1d_18()
    # the residual projection strides time only where the block's convolutions do
    assert r3d.layer2[0].downsample[0].stride == (2, 2, 2)
    assert mc3.layer2[0].downsample[0].stride == (1, 2, 2)
    assert mc3.layer1[0].conv1[0].kernel_size == (3, 3, 3)
    assert mc3.layer3[1].conv2[0].kernel_size == (1, 3, 3)
    # (2+1)D: the middle width gives the parameters of a full 3×3×3 convolution
    conv = r2plus1d.layer1[0].conv1[0]
    assert conv[0].out_channels == 64 * 64 * 27 // (64 * 9 + 3 * 64) == 144
    assert isinstance(r2plus1d.stem, resnet.R2Plus1dStem) and r2plus1d.stem[0].out_channels == 45
    # torchvision's initialisation: N(0, 0.01²) classifier, zero bias, unit batch norms
    assert r3d.fc.bias.abs().max().item() == 0
    assert 0.005 < r3d.fc.weight.std().item() < 0.015
    assert r3d.layer4[1].conv2[1].weight.min().item() == 1


def test_video_resnet_forward_backward(seeded):
    model = video.r2plus1d_18(num_classes=5)
    x = ember.randn(2, 3, 2, 16, 16, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 5)
    out.sum().backward()
    assert x.grad.shape == x.shape and all(_grad_norms(model))


def test_video_resnet_bottleneck_and_zero_init(seeded):
    blocks = [resnet.Conv3DNoTemporal] * 4
    model = resnet.VideoResNet(resnet.Bottleneck, blocks, [1, 1, 1, 1], resnet.BasicStem, 3)
    assert model.fc.in_features == 2048
    assert model.layer1[0].downsample[0].stride == (1, 1, 1)  # 64 -> 256 channels
    model.eval()
    with ember.no_grad():
        assert model(ember.randn(1, 3, 3, 16, 16)).shape == (1, 3)
    # torchvision's wart: Bottleneck has no bn3 for zero_init_residual to find
    with pytest.raises(AttributeError, match="bn3"):
        resnet.VideoResNet(
            resnet.Bottleneck, blocks, [1, 1, 1, 1], resnet.BasicStem, zero_init_residual=True
        )


# ------------------------------------------------------------------------------------- S3D


def test_s3d_inception_block(seeded):
    model = video.s3d(num_classes=7)
    assert model.avgpool.kernel_size == (2, 7, 7)
    block = model.features[5]
    x = ember.randn(1, 192, 3, 5, 5)
    assert block(x).shape == (1, 64 + 128 + 32 + 32, 3, 5, 5)
    assert model.features[0][0][1].eps == 0.001 and model.features[0][0][1].momentum == 0.001


@pytest.mark.slow  # 3 s: 13×209×209 is the smallest clip the fixed 2×7×7 average pooling takes
def test_s3d_smallest_clip(seeded):
    model = video.s3d(num_classes=7).eval()
    with ember.no_grad():
        assert model(ember.randn(1, 3, 13, 209, 209)).shape == (1, 7)


# ------------------------------------------------------------------------------------ MViT


def _small_blocks():
    cnf = mvit.MSBlockConfig
    return [
        cnf(2, 8, 8, [3, 3, 3], [3, 3, 3], [1, 1, 1], [1, 2, 2]),
        cnf(2, 8, 16, [3, 3, 3], [3, 3, 3], [1, 2, 2], [1, 2, 2]),
        cnf(4, 16, 16, [], [3, 3, 3], [], [1, 1, 1]),
    ]


V2 = {"residual_pool": True, "rel_pos_embed": True, "proj_after_attn": True}
V1 = {"residual_pool": False, "rel_pos_embed": False, "proj_after_attn": False}


@pytest.mark.parametrize("flags", [V1, V2])
def test_mvit_forward_backward(seeded, flags):
    model = mvit.MViT((16, 16), 4, _small_blocks(), residual_with_cls_embed=False, **flags)
    assert (model.pos_encoding.spatial_pos is None) == flags["rel_pos_embed"]
    assert (model.blocks[0].attn.rel_pos_h is None) != flags["rel_pos_embed"]
    x = ember.randn(2, 3, 4, 16, 16, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 400)
    out.sum().backward()
    assert x.grad.shape == x.shape and all(_grad_norms(model))


def test_mvit_builders_fix_the_clip_size():
    with pytest.raises(TypeError, match="spatial_size"):
        video.mvit_v1_b(spatial_size=(32, 32))
    with pytest.raises(ValueError, match="can't be empty"):
        mvit.MViT((16, 16), 4, [], False, False, False, False)


def _rel_pos_reference(attn, q, q_thw, k_thw, tables):
    """The MViTv2 bias pair by pair: ``q · R[dist]`` per axis, dist scaled to the finer grid."""
    out = attn.copy()
    B, H = q.shape[:2]
    qs, ks = (
        list(itertools.product(*map(range, q_thw))),
        list(itertools.product(*map(range, k_thw))),
    )
    for i, qpos in enumerate(qs):
        for j, kpos in enumerate(ks):
            bias = np.zeros((B, H))
            for axis in range(3):
                nq, nk = q_thw[axis], k_thw[axis]
                dist = qpos[axis] * max(nk / nq, 1) - (kpos[axis] - nk + 1) * max(nq / nk, 1)
                bias += q[:, :, 1 + i] @ tables[axis][int(dist)]
            out[:, :, 1 + i, 1 + j] += bias
    return out


@pytest.mark.parametrize("q_thw,k_thw", [((2, 4, 4), (2, 2, 2)), ((1, 2, 3), (2, 4, 3))])
def test_mvit_relative_positions_against_loops(q_thw, k_thw):
    rng = np.random.default_rng(0)
    dims = [2 * max(a, b) - 1 for a, b in zip(q_thw, k_thw)]  # no interpolation
    tables = [rng.standard_normal((n, 4)) for n in dims]  # t, h, w
    q = rng.standard_normal((2, 3, 1 + math.prod(q_thw), 4))
    attn = rng.standard_normal((2, 3, q.shape[2], 1 + math.prod(k_thw)))
    t, h, w = (ember.from_numpy(a) for a in tables)
    out = mvit._add_rel_pos(ember.from_numpy(attn), ember.from_numpy(q), q_thw, k_thw, h, w, t)
    expected = _rel_pos_reference(attn, q, q_thw, k_thw, tables)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_mvit_relative_positions_gradients():
    rng = np.random.default_rng(1)
    args = [rng.standard_normal(s) for s in ((1, 2, 5, 3), (1, 2, 5, 2), (3, 2), (3, 2), (1, 2))]
    tensors = [ember.from_numpy(a).requires_grad_(True) for a in args]
    attn, q, h, w, t = tensors

    def f(attn, q, h, w, t):
        return mvit._add_rel_pos(attn, q, (1, 2, 2), (1, 1, 2), h, w, t)

    assert ember.autograd.gradcheck(f, (attn, q, h, w, t))


def test_mvit_pool_keeps_the_class_token():
    x = ember.randn(2, 3, 1 + 2 * 4 * 4, 5)
    pool = mvit.Pool(nn.MaxPool3d((1, 2, 2), stride=(1, 2, 2)), None)
    out, thw = pool(x, (2, 4, 4))
    assert thw == (1 * 2, 2, 2) and out.shape == (2, 3, 1 + 2 * 2 * 2, 5)
    np.testing.assert_array_equal(out[:, :, 0].numpy(), x[:, :, 0].numpy())
    tokens = x[:, :, 1:].numpy().reshape(2, 3, 2, 2, 2, 2, 2, 5)  # t, h/2, 2, w/2, 2
    expected = tokens.max(axis=(4, 6)).reshape(2, 3, 8, 5)
    np.testing.assert_array_equal(out[:, :, 1:].numpy(), expected)
    # 3-d input: one head
    out3, _ = pool(x[:, 0], (2, 4, 4))
    np.testing.assert_array_equal(out3.numpy(), out[:, 0].numpy())
    with pytest.raises(ValueError, match="Unsupported input dimension"):
        pool(ember.randn(5), (1, 1, 1))


def test_mvit_positional_encoding_against_loops(seeded):
    enc = mvit.PositionalEncoding(4, (2, 3), 2, rel_pos_embed=False)
    for p in enc.parameters():
        nn.init.normal_(p)
    x = ember.randn(2, 2 * 2 * 3, 4)
    with ember.no_grad():
        out = enc(x).numpy()
    temporal, spatial = enc.temporal_pos.detach().numpy(), enc.spatial_pos.detach().numpy()
    cls = enc.class_token.detach().numpy() + enc.class_pos.detach().numpy()
    np.testing.assert_allclose(out[:, 0], np.broadcast_to(cls, (2, 4)), rtol=1e-6)
    for t, hw in itertools.product(range(2), range(6)):
        expected = x[:, t * 6 + hw].numpy() + temporal[t] + spatial[hw]
        np.testing.assert_allclose(out[:, 1 + t * 6 + hw], expected, rtol=1e-5, atol=1e-6)


def test_mvit_shortcut_leaves_out_the_class_token():
    x, s = ember.zeros(1, 1, 3, 2), ember.ones(1, 1, 3, 2)
    np.testing.assert_array_equal(mvit._add_shortcut(x, s, False).numpy()[0, 0, :, 0], [0, 1, 1])
    np.testing.assert_array_equal(mvit._add_shortcut(x, s, True).numpy()[0, 0, :, 0], [1, 1, 1])


# ------------------------------------------------------------------------ Video Swin Transformer


def _mask_reference(size, window, shift):
    """torchvision's slice assignments, region by region, then the windows' pairwise mask."""
    regions = np.zeros(size)
    slices = [((0, -w), (-w, -s), (-s, None)) for w, s in zip(window, shift)]
    for count, (d, h, w) in enumerate(itertools.product(*slices)):
        regions[d[0] : d[1], h[0] : h[1], w[0] : w[1]] = count
    windows = []
    for corner in itertools.product(*(range(0, n, w) for n, w in zip(size, window))):
        box = tuple(slice(c, c + w) for c, w in zip(corner, window))
        windows.append(regions[box].reshape(-1))
    windows = np.stack(windows)
    return np.where(windows[:, None, :] != windows[:, :, None], -100.0, 0.0)


@pytest.mark.parametrize(
    "size,window,shift",
    [
        ((4, 9, 9), (2, 3, 3), (1, 1, 1)),
        ((8, 14, 7), (8, 7, 7), (0, 3, 3)),
        ((2, 4, 6), (2, 2, 3), (1, 0, 1)),
    ],
)
def test_swin3d_attention_mask_against_loops(size, window, shift):
    ours = swin_transformer._compute_attention_mask_3d(size, window, shift)
    np.testing.assert_array_equal(ours, _mask_reference(size, window, shift))


def test_swin3d_relative_position_index_against_loops():
    window = (2, 3, 4)
    index = swin_transformer._get_relative_position_index_3d(window).numpy()
    positions = list(itertools.product(*map(range, window)))
    for i, a in enumerate(positions):
        for j, b in enumerate(positions):
            d, h, w = (x - y + n - 1 for x, y, n in zip(a, b, window))
            assert index[i, j] == (d * 5 + h) * 7 + w
    assert index.max() == 3 * 5 * 7 - 1


def test_swin3d_one_window_is_plain_attention(seeded):
    # a window covering the clip, no shift: multi-head attention with the bias table
    attn = swin_transformer.ShiftedWindowAttention3d(8, [2, 2, 3], [1, 1, 1], num_heads=2)
    nn.init.normal_(attn.relative_position_bias_table)
    x = ember.randn(1, 2, 2, 3, 8)
    out = attn(x).detach().numpy()  # every axis fits its window: no shift

    tokens = x.numpy().reshape(12, 8)
    qkv = tokens @ attn.qkv.weight.detach().numpy().T + attn.qkv.bias.detach().numpy()
    q, k, v = (qkv[:, i * 8 : (i + 1) * 8].reshape(12, 2, 4).transpose(1, 0, 2) for i in range(3))
    table = attn.relative_position_bias_table.detach().numpy()
    bias = table[attn.relative_position_index.numpy()].transpose(2, 0, 1)
    logits = q @ k.transpose(0, 2, 1) / 2 + bias
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    heads = (weights @ v).transpose(1, 0, 2).reshape(12, 8)
    expected = heads @ attn.proj.weight.detach().numpy().T + attn.proj.bias.detach().numpy()
    np.testing.assert_allclose(out.reshape(12, 8), expected, rtol=1e-4, atol=1e-5)


def test_swin3d_window_adapts_to_small_inputs():
    window, shift = swin_transformer._get_window_and_shift_size([4, 3, 3], [2, 14, 7], [8, 7, 7])
    assert window == [2, 7, 7] and shift == [0, 3, 0]
    with pytest.raises(ValueError, match="length"):
        swin_transformer.ShiftedWindowAttention3d(8, [7, 7], [0, 0], 2)


def test_swin3d_forward_backward(seeded):
    model = swin_transformer.SwinTransformer3d(
        [2, 2, 2], 8, [2, 2], [2, 4], [2, 3, 3], num_classes=5
    )
    embed = model.patch_embed(ember.randn(1, 3, 5, 13, 14))  # padded to whole patches
    assert embed.shape == (1, 3, 7, 7, 8)
    x = ember.randn(2, 3, 6, 14, 14, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 5)
    out.sum().backward()
    assert x.grad.shape == x.shape and all(_grad_norms(model))


# ------------------------------------------------------------------------------------- RAFT


def test_make_coords_grid():
    grid = flow_utils.make_coords_grid(2, 3, 4)
    assert grid.shape == (2, 2, 3, 4) and grid.dtype == ember.float32
    np.testing.assert_array_equal(grid.numpy()[1, 0], np.tile(np.arange(4), (3, 1)))
    np.testing.assert_array_equal(grid.numpy()[0, 1], np.tile(np.arange(3)[:, None], (1, 4)))


def test_grid_sample_takes_pixel_coordinates():
    img = ember.arange(2 * 3 * 4, dtype=ember.float32).reshape(2, 1, 3, 4)
    points = ember.tensor([[[[1.0, 2.0], [3.0, 0.0], [0.5, 1.0], [4.0, 0.0]]]]).repeat(2, 1, 1, 1)
    out = flow_utils.grid_sample(img, points, align_corners=True).numpy()[:, 0, 0]
    # (x, y) -> img[y, x]; halfway between two pixels their mean; past the edge, zeros blend in
    np.testing.assert_allclose(out[0], [9.0, 3.0, 4.5, 0.0])
    np.testing.assert_allclose(out[1], [21.0, 15.0, 16.5, 0.0])


def test_upsample_flow():
    rng = np.random.default_rng(3)
    flow = ember.from_numpy(rng.standard_normal((1, 2, 3, 4)).astype(np.float32))
    # no mask: bilinear with aligned corners keeps a constant flow, scaled by the factor
    const = flow_utils.upsample_flow(ember.full((1, 2, 3, 4), 1.5), factor=4)
    np.testing.assert_allclose(const.numpy(), 6.0, rtol=1e-6)
    # a mask all on neighbour k (row-major in the 3×3 window) copies that coarse pixel,
    # zero outside the map
    for k in (4, 0, 5):
        logits = np.full((1, 9, 4, 4, 3, 4), -1e4, dtype=np.float32)
        logits[:, k] = 0
        mask = ember.from_numpy(logits.reshape(1, 9 * 16, 3, 4))
        out = flow_utils.upsample_flow(flow, mask, factor=4).numpy()
        dy, dx = divmod(k, 3)
        padded = np.pad(flow.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
        coarse = 4 * padded[:, :, dy : dy + 3, dx : dx + 4]
        np.testing.assert_allclose(out, coarse.repeat(4, axis=2).repeat(4, axis=3), rtol=1e-6)


def test_corr_block_against_loops():
    rng = np.random.default_rng(4)
    f1, f2 = (rng.standard_normal((1, 5, 8, 8)) for _ in range(2))
    block = raft.CorrBlock(num_levels=2, radius=1)
    assert block.out_channels == 2 * 9
    block.build_pyramid(ember.from_numpy(f1), ember.from_numpy(f2))
    corr = np.einsum("cij,ckl->ijkl", f1[0], f2[0]) / np.sqrt(5)
    np.testing.assert_allclose(block.corr_pyramid[0].numpy().reshape(8, 8, 8, 8), corr)
    pooled = corr.reshape(8, 8, 4, 2, 4, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(block.corr_pyramid[1].numpy().reshape(8, 8, 4, 4), pooled)

    # integer centroids (x, y): the 3×3 neighbourhood at each level, zeros outside the map
    coords = flow_utils.make_coords_grid(1, 8, 8).double() + 2.0
    features = block.index_pyramid(coords).numpy()[0].reshape(2, 3, 3, 8, 8)
    for i, j in itertools.product(range(8), range(8)):
        for level, volume in enumerate((corr, pooled)):
            x, y = (j + 2) / 2**level, (i + 2) / 2**level
            for (a, da), (b, db) in itertools.product(enumerate((-1, 0, 1)), repeat=2):
                # delta's first component shifts x, its second y
                xs, ys = x + da, y + db
                if float(xs).is_integer() and float(ys).is_integer():
                    inside = 0 <= xs < volume.shape[3] and 0 <= ys < volume.shape[2]
                    want = volume[i, j, int(ys), int(xs)] if inside else 0.0
                    assert features[level, a, b, i, j] == pytest.approx(want, abs=1e-12)


def test_corr_block_errors():
    block = raft.CorrBlock()
    with pytest.raises(ValueError, match="same shape"):
        block.build_pyramid(ember.zeros(1, 2, 16, 16), ember.zeros(1, 2, 16, 17))
    with pytest.raises(ValueError, match="at least 8 \\* 16 = 128"):
        block.build_pyramid(ember.zeros(1, 2, 8, 16), ember.zeros(1, 2, 8, 16))


def _two_levels():
    return {"corr_block": raft.CorrBlock(num_levels=2, radius=2)}


@pytest.mark.parametrize("builder", ["raft_large", "raft_small"])
def test_raft_forward_backward(seeded, builder):
    model = getattr(optical_flow, builder)(**_two_levels())
    assert (model.mask_predictor is None) == (builder == "raft_small")
    one = ember.randn(2, 3, 32, 40, requires_grad=True)
    two = ember.randn(2, 3, 32, 40, requires_grad=True)
    flows = model(one, two, num_flow_updates=2)
    assert len(flows) == 2 and all(f.shape == (2, 2, 32, 40) for f in flows)
    sum(f.sum() for f in flows).backward()
    assert one.grad.shape == one.shape and two.grad.shape == two.shape
    assert np.isfinite(one.grad.numpy()).all()


def test_raft_input_errors(seeded):
    model = optical_flow.raft_small(**_two_levels())
    with pytest.raises(ValueError, match="same shape"):
        model(ember.zeros(1, 3, 32, 32), ember.zeros(1, 3, 32, 40))
    with pytest.raises(ValueError, match="divisible by 8, instead got 36 \\(h\\) and 32"):
        model(ember.zeros(1, 3, 36, 32), ember.zeros(1, 3, 36, 32))
    with pytest.raises(ValueError, match="hidden_state_size"):
        raft.RAFT(
            feature_encoder=nn.Identity(),
            context_encoder=nn.Identity(),
            corr_block=raft.CorrBlock(),
            update_block=nn.Identity(),
        )
    narrow = optical_flow.raft_small(
        context_encoder=raft.FeatureEncoder(layers=(8, 8, 8, 8, 96)), **_two_levels()
    )
    with pytest.raises(ValueError, match="strictly more than hidden_state=96"):
        narrow(ember.zeros(1, 3, 32, 32), ember.zeros(1, 3, 32, 32))


def test_raft_weights_round_trip(tmp_path, seeded):
    source = optical_flow.raft_small(**_two_levels()).eval()
    path = tmp_path / "raft_small.safetensors"
    save_file(source.state_dict(), path)
    loaded = optical_flow.raft_small(weights=path, **_two_levels()).eval()
    images = [ember.randn(1, 3, 32, 32) for _ in range(2)]
    with ember.no_grad():
        expected = source(*images, num_flow_updates=1)[0]
        out = loaded(*images, num_flow_updates=1)[0]
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


# ------------------------------------------------------------------------------- on a device


def _small_models():
    yield (
        resnet.VideoResNet(
            resnet.BasicBlock, [resnet.Conv2Plus1D] * 4, [1, 1, 1, 1], resnet.R2Plus1dStem, 5
        ),
        (1, 3, 2, 16, 16),
    )
    yield (
        mvit.MViT((20, 20), 4, _small_blocks(), residual_with_cls_embed=False, **V2),
        (
            1,
            3,
            4,
            20,
            20,
        ),
    )
    yield (
        swin_transformer.SwinTransformer3d([2, 2, 2], 8, [2, 2], [2, 4], [2, 3, 3], num_classes=5),
        (1, 3, 6, 14, 14),
    )


def test_models_on_device(device, seeded):
    for model, shape in _small_models():
        model.eval()
        x = ember.randn(*shape)
        with ember.no_grad():
            expected = model(x).numpy()
            out = model.to(device)(x.to(device)).cpu().numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    model = optical_flow.raft_small(**_two_levels()).eval()
    images = [ember.randn(1, 3, 32, 32) for _ in range(2)]
    with ember.no_grad():
        expected = model(*images, num_flow_updates=2)[-1].numpy()
        out = model.to(device)(*(i.to(device) for i in images), num_flow_updates=2)[-1]
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-4, atol=1e-4)
