"""Parity of embervision's video classification models (video ResNets, S3D, MViT V1/V2, Video
Swin Transformer) and RAFT optical flow with torchvision: the same weights in both frameworks
must give the same outputs.

torchvision's model is built, then every parameter is redrawn so that each layer carries
signal (weights N(0, 1/fan_in), norm scales U(0.8, 1.2), biases N(0, 0.1²); tokens, positions
and relative-position tables get N(0, 0.1²) added) and its batch norms take the statistics of
the input batch. Its state dict is copied into embervision's model through numpy, and both run
the same input in eval mode. The full builders run at small inputs (MViT, whose builders fix
the clip size, through their ``_mvit`` with a smaller one); small configurations built through
the classes cover Bottleneck blocks, pooling attention with and without MViTv2's pieces,
shifted and padded 3-d windows, and compare the gradients of the input and of every
parameter too (in float64). RAFT's list of flow predictions is compared within 1e-4.

Skipped where torchvision is not installed.
"""

import importlib.util
import math
import sys
import types

import numpy as np
import pytest
import torch

import ember
from embervision import models
from embervision.models import optical_flow
from embervision.models.optical_flow import _utils as flow_utils
from embervision.models.optical_flow import raft
from embervision.models.video import mvit, resnet, swin_transformer

if importlib.util.find_spec("torchvision") is None:
    pytest.skip("needs torchvision", allow_module_level=True)
try:
    import torchvision
except RuntimeError:
    # A torchvision wheel built for another torch release fails to register the fake (meta)
    # kernels of its C++ ops; the models are pure Python and do not need them.
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("_meta_registrations")
    import torchvision

import torchvision.models.optical_flow._utils as tv_flow_utils
import torchvision.models.optical_flow.raft as tv_raft
import torchvision.models.video.mvit as tv_mvit
import torchvision.models.video.resnet as tv_resnet
import torchvision.models.video.swin_transformer as tv_swin3d

_NORMS = (torch.nn.LayerNorm, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)
_BATCH_NORMS = (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)


def _randomise(model, run, seed=0):
    """Redraw ``model``'s parameters (see the module docstring); batch-norm statistics from
    one ``run(model)``. Returns the model in eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            for name, p in module.named_parameters(recurse=False):
                if isinstance(module, _NORMS) and name == "weight":
                    p.uniform_(0.8, 1.2, generator=g)
                elif name.endswith("weight") and p.dim() >= 2:
                    fan_in = p[0].numel()
                    p.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=g)
                elif name.endswith("bias"):
                    p.normal_(0.0, 0.1, generator=g)
                else:
                    p.add_(torch.randn(p.shape, generator=g) * 0.1)
        norms = [m for m in model.modules() if isinstance(m, _BATCH_NORMS)]
        model.eval()
        for m in norms:
            m.momentum = None  # cumulative average: one batch sets the running statistics
            m.train()
        run(model)
        for m in norms:
            m.momentum = 0.1
            m.num_batches_tracked.zero_()
    return model.eval()


def _ember_copy(reference, model):
    state = {
        k: ember.from_numpy(v.detach().numpy().copy()) for k, v in reference.state_dict().items()
    }
    model.load_state_dict(state)
    return model.eval()


def _assert_close(e, t, what, tol=1e-4, floor=1e-30):
    """The largest difference within ``tol`` times the largest value of ``t`` (at least
    ``floor``: gradients that are zero but for rounding have no scale of their own)."""
    t = t.detach().numpy()
    e = e.detach().numpy()
    assert e.shape == t.shape, what
    scale = max(np.abs(t).max(), floor)
    err = np.abs(e - t).max() / scale
    assert err <= tol, f"{what}: {err:.2e}"


def _clip(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _classifier_pair(reference, model, x):
    """The randomised reference and its ember copy, batch norms set from ``x``."""
    torch.manual_seed(0)
    reference = _randomise(reference, lambda m: m(torch.from_numpy(x)))
    return reference, _ember_copy(reference, model)


def _compare_logits(reference, model, x):
    reference, model = _classifier_pair(reference, model, x)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
    with ember.no_grad():
        out = model(ember.from_numpy(x))
    _assert_close(out, expected, type(reference).__name__)


def _compare_gradients(reference, model, x, name):
    """Outputs, input gradients and parameter gradients of an eval-mode pair, in float64 (in
    float32 a ReLU whose input rounds to the other side of 0 moves single gradients)."""
    reference, model = _classifier_pair(reference, model, x)
    reference, model, x = reference.double(), model.double(), x.astype(np.float64)
    xt = torch.from_numpy(x).requires_grad_(True)
    xe = ember.from_numpy(x.copy()).requires_grad_(True)
    expected, out = reference(xt), model(xe)
    _assert_close(out, expected, name)

    seed = np.random.default_rng(2).standard_normal(tuple(expected.shape))
    (expected * torch.from_numpy(seed)).sum().backward()
    (out * ember.from_numpy(seed)).sum().backward()
    _assert_close(xe.grad, xt.grad, f"{name}: input gradient", 1e-9)
    ours = dict(model.named_parameters())
    for key, p in reference.named_parameters():
        _assert_close(ours[key].grad, p.grad, f"{name}: gradient of {key}", 1e-9, 1e-3)


# (keywords, clip shape): each full builder at a small clip.
BUILDERS = {
    "r3d_18": ({}, (2, 3, 4, 32, 32)),
    "mc3_18": ({}, (2, 3, 4, 32, 32)),
    "r2plus1d_18": ({}, (2, 3, 4, 32, 32)),
    # 8×16×16 tokens in 8×7×7 windows: padded and shifted in the first two stages, the
    # window shrunk to the map in the last two
    "swin3d_t": ({}, (1, 3, 16, 64, 64)),
    "swin3d_s": ({"num_classes": 7}, (2, 3, 4, 32, 32)),  # every window shrunk, no shifts
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builder_eval_logits(name):
    kwargs, shape = BUILDERS[name]
    x = _clip(*shape)
    reference = torchvision.models.get_model(name, **kwargs)
    _compare_logits(reference, models.get_model(name, **kwargs), x)


@pytest.mark.slow  # 13×209×209 is the smallest clip S3D's fixed 2×7×7 average pooling takes
def test_s3d_eval_logits():
    x = _clip(1, 3, 13, 209, 209)
    _compare_logits(torchvision.models.video.s3d(), models.video.s3d(), x)


@pytest.mark.parametrize("name", ["mvit_v1_b", "mvit_v2_s"])
def test_mvit_builder_eval_logits(name, monkeypatch):
    # The builders fix the clip at 16×224×224; build the same blocks for 4×64×64 clips
    # (2×16×16 tokens: the keys and values pooled to 2×2, the queries down to 2×2).
    for module in (tv_mvit, mvit):
        build = module._mvit

        def small(build=build, **kwargs):
            return build(**{**kwargs, "spatial_size": (64, 64), "temporal_size": 4})

        monkeypatch.setattr(module, "_mvit", small)
    x = _clip(2, 3, 4, 64, 64)
    _compare_logits(getattr(tv_mvit, name)(), getattr(mvit, name)(), x)


def _mvit_blocks(module):
    cnf = module.MSBlockConfig
    return [
        cnf(2, 8, 8, [3, 3, 3], [3, 3, 3], [1, 1, 1], [1, 2, 2]),
        cnf(2, 8, 16, [3, 3, 3], [3, 3, 3], [1, 2, 2], [1, 2, 2]),
        cnf(4, 16, 16, [], [3, 3, 3], [], [1, 1, 1]),
    ]


_MVIT_FLAGS = {
    "v1": {"residual_pool": False, "residual_with_cls_embed": False, "rel_pos_embed": False,
           "proj_after_attn": False},
    "v2": {"residual_pool": True, "residual_with_cls_embed": False, "rel_pos_embed": True,
           "proj_after_attn": True},
    "v2_cls_residual": {"residual_pool": True, "residual_with_cls_embed": True,
                        "rel_pos_embed": True, "proj_after_attn": False},
}  # fmt: skip


# Small configurations, built through the classes of both libraries with the same arguments.
SMALL = {
    "video_resnet_bottleneck": lambda m: m.VideoResNet(
        m.Bottleneck, [m.Conv2Plus1D, m.Conv3DSimple, m.Conv3DNoTemporal, m.Conv3DSimple],
        [1, 1, 1, 1], m.R2Plus1dStem, num_classes=5,
    ),
    # 6×14×14 clip, 2×2×2 patches: 3×7×7 tokens in 2×3×3 windows (padded to 4×9×9), shifted
    # by 1×1×1; odd maps reach the patch merging
    "swin3d": lambda m: m.SwinTransformer3d(
        patch_size=[2, 2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4],
        window_size=[2, 3, 3], num_classes=5,
    ),
    **{
        f"mvit_{flags}": lambda m, flags=flags: m.MViT(
            (16, 16), 4, _mvit_blocks(m), **_MVIT_FLAGS[flags], dropout=0.0, num_classes=5,
        )
        for flags in _MVIT_FLAGS
    },
    # 5×5 tokens: pooled to 3×3, so the relative-position tables are interpolated
    "mvit_v2_odd": lambda m: m.MViT(
        (20, 20), 4, _mvit_blocks(m), **_MVIT_FLAGS["v2"], dropout=0.0, num_classes=5,
    ),
}  # fmt: skip
MODULES = {"video_resnet_bottleneck": (tv_resnet, resnet), "swin3d": (tv_swin3d, swin_transformer)}
SHAPES = {
    "video_resnet_bottleneck": (2, 3, 4, 16, 16),
    "swin3d": (2, 3, 6, 14, 14),
    "mvit_v2_odd": (2, 3, 4, 20, 20),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_small_config_logits_and_gradients(name):
    tv_module, ember_module = MODULES.get(name, (tv_mvit, mvit))
    x = _clip(*SHAPES.get(name, (2, 3, 4, 16, 16)))
    torch.manual_seed(0)
    reference = SMALL[name](tv_module)
    _compare_gradients(reference, SMALL[name](ember_module), x, name)


def test_mvit_single_frame_input():
    # a (B, C, H, W) image is a one-frame clip
    x = _clip(2, 3, 16, 16)
    blocks = _mvit_blocks
    kwargs = {**_MVIT_FLAGS["v2"], "num_classes": 5, "patch_embed_stride": (1, 4, 4)}
    reference = tv_mvit.MViT((16, 16), 1, blocks(tv_mvit), **kwargs)
    model = mvit.MViT((16, 16), 1, blocks(mvit), **kwargs)
    _compare_logits(reference, model, x)


@pytest.mark.parametrize("q_thw,k_thw", [((2, 4, 4), (2, 2, 2)), ((1, 3, 5), (2, 6, 3))])
def test_mvit_relative_positions(q_thw, k_thw):
    rng = np.random.default_rng(0)
    heads, dim = 2, 4
    tables = [rng.standard_normal((n, dim)).astype(np.float32) for n in (7, 9, 3)]
    q = rng.standard_normal((2, heads, 1 + math.prod(q_thw), dim)).astype(np.float32)
    attn = rng.standard_normal((2, heads, q.shape[2], 1 + math.prod(k_thw))).astype(np.float32)
    args_t = [torch.from_numpy(a) for a in (attn, q, *tables)]
    args_e = [ember.from_numpy(a.copy()) for a in (attn, q, *tables)]
    expected = tv_mvit._add_rel_pos(args_t[0], args_t[1], q_thw, k_thw, *args_t[2:])
    out = mvit._add_rel_pos(args_e[0], args_e[1], q_thw, k_thw, *args_e[2:])
    _assert_close(out, expected, "rel pos", 1e-6)


def test_swin3d_buffers_and_masks_match():
    for window in ([8, 7, 7], [2, 3, 3], [1, 2, 4]):
        theirs = tv_swin3d.ShiftedWindowAttention3d(8, window, [0, 0, 0], 2)
        ours = swin_transformer.ShiftedWindowAttention3d(8, window, [0, 0, 0], 2)
        np.testing.assert_array_equal(
            ours.relative_position_index.numpy(), theirs.relative_position_index.numpy()
        )
    for size, window, shift in (
        ((4, 9, 9), (2, 3, 3), (1, 1, 1)),
        ((8, 14, 7), (8, 7, 7), (0, 3, 3)),
    ):
        expected = tv_swin3d._compute_attention_mask_3d(torch.zeros(1), size, window, shift)
        ours = swin_transformer._compute_attention_mask_3d(size, window, shift)
        np.testing.assert_array_equal(ours, expected.numpy())


def _flow_pair(name, kwargs, images):
    torch.manual_seed(0)
    reference = getattr(tv_raft, name)(**kwargs.get("torch", {}))
    model = getattr(raft, name)(**kwargs.get("ember", {}))
    one, two = (torch.from_numpy(a) for a in images)
    reference = _randomise(reference, lambda m: m(one, two, num_flow_updates=1))
    return reference, _ember_copy(reference, model)


def _small_corr(module):
    # two pyramid levels: 64×64 images (8×8 feature maps) are enough
    return {"corr_block": module.CorrBlock(num_levels=2, radius=3)}


# (builder, builder keywords per library, image size)
FLOWS = {
    "raft_large": ("raft_large", {}, 128),
    "raft_small": ("raft_small", {}, 128),
    "raft_large_two_levels": (
        "raft_large",
        {"torch": _small_corr(tv_raft), "ember": _small_corr(raft)},
        64,
    ),
}


@pytest.mark.parametrize("name", list(FLOWS))
def test_raft_flow_predictions(name):
    builder, kwargs, size = FLOWS[name]
    images = [_clip(2, 3, size, size, seed=s) for s in (1, 2)]
    reference, model = _flow_pair(builder, kwargs, images)
    with torch.no_grad():
        expected = reference(*(torch.from_numpy(a) for a in images), num_flow_updates=3)
    with ember.no_grad():
        out = model(*(ember.from_numpy(a) for a in images), num_flow_updates=3)
    assert len(out) == len(expected) == 3
    for i, (e, t) in enumerate(zip(out, expected)):
        _assert_close(e, t, f"{name}: flow {i}")


def test_raft_small_gradients():
    # in float32: torchvision's RAFT samples a float32 grid from float64 maps and fails
    kwargs = {"torch": _small_corr(tv_raft), "ember": _small_corr(raft)}
    images = [_clip(2, 3, 64, 64, seed=s) for s in (3, 4)]
    reference, model = _flow_pair("raft_small", kwargs, images)
    tensors_t = [torch.from_numpy(a).requires_grad_(True) for a in images]
    tensors_e = [ember.from_numpy(a.copy()).requires_grad_(True) for a in images]
    expected = reference(*tensors_t, num_flow_updates=2)
    out = model(*tensors_e, num_flow_updates=2)
    seeds = [_clip(*t.shape, seed=10 + i) for i, t in enumerate(expected)]
    sum((t * torch.from_numpy(s)).sum() for t, s in zip(expected, seeds)).backward()
    sum((e * ember.from_numpy(s)).sum() for e, s in zip(out, seeds)).backward()
    for i, (e, t) in enumerate(zip(tensors_e, tensors_t)):
        _assert_close(e.grad, t.grad, f"gradient of image {i}")
    ours = dict(model.named_parameters())
    for key, p in reference.named_parameters():
        # the biases before an instance norm have zero gradients but for rounding
        _assert_close(ours[key].grad, p.grad, f"gradient of {key}", 1e-4, 10.0)


def test_flow_utils():
    rng = np.random.default_rng(7)
    flow = rng.standard_normal((2, 2, 3, 4)).astype(np.float32)
    mask = rng.standard_normal((2, 9 * 4 * 4, 3, 4)).astype(np.float32)
    for up_mask in (None, mask):
        kw_t = {} if up_mask is None else {"up_mask": torch.from_numpy(up_mask)}
        kw_e = {} if up_mask is None else {"up_mask": ember.from_numpy(up_mask.copy())}
        expected = tv_flow_utils.upsample_flow(torch.from_numpy(flow), factor=4, **kw_t)
        out = flow_utils.upsample_flow(ember.from_numpy(flow.copy()), factor=4, **kw_e)
        _assert_close(out, expected, "upsample_flow", 1e-6)

    img = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    grid = rng.uniform(-1.5, 6.5, (2, 4, 3, 2)).astype(np.float32)
    for mode in ("bilinear", "nearest"):
        expected = tv_flow_utils.grid_sample(
            torch.from_numpy(img), torch.from_numpy(grid), mode=mode, align_corners=True
        )
        out = flow_utils.grid_sample(
            ember.from_numpy(img), ember.from_numpy(grid), mode=mode, align_corners=True
        )
        _assert_close(out, expected, f"grid_sample {mode}", 1e-6)

    expected = tv_flow_utils.make_coords_grid(3, 4, 5)
    out = flow_utils.make_coords_grid(3, 4, 5)
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_raft_errors_match():
    model, reference = optical_flow.raft_small(), tv_raft.raft_small()
    sizes = (((64, 64), (64, 72)), ((60, 64), (60, 64)), ((64, 64), (64, 64)))
    for size1, size2 in sizes:
        arrays = [np.zeros((1, 3, *size), np.float32) for size in (size1, size2)]
        with pytest.raises(ValueError) as theirs:
            reference(*(torch.from_numpy(a) for a in arrays))
        with pytest.raises(ValueError) as ours:
            model(*(ember.from_numpy(a) for a in arrays))
        assert str(ours.value) == str(theirs.value).replace("torch.Size", "ember.Size")
