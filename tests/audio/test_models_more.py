"""emberaudio.models, the second set: WavLM, HuBERTPretrainModel, Tacotron2, Emformer, RNNT
and its beam search, HDemucs and SQUIM.

The full builders are checked against torchaudio 2.11's layouts (state-dict keys and shapes,
parameter counts) with the initializers stubbed out; the layers against independent
references (attention written out in numpy, ``nn.LSTMCell``, hand-made masks, identities
such as streaming = whole-utterance Emformer and istft(stft(x)) = x); the models by shapes,
errors and gradients on tiny configurations. The fingerprints were computed with torchaudio
2.11 (on the meta device, its pre-training initialization skipped)::

    def layout(model):
        entries = sorted(f"{k}:{'x'.join(map(str, v.shape))}" for k, v in model.state_dict().items())
        digest = hashlib.sha256("\\n".join(entries).encode()).hexdigest()[:16]
        return digest, len(entries), sum(p.numel() for p in model.parameters())
"""

import hashlib
import math

import numpy as np
import pytest

import ember
from ember import nn
from emberaudio import models
from emberaudio.models import _hdemucs, rnnt, tacotron2
from emberaudio.models.squim import objective
from emberaudio.models.wav2vec2 import components
from emberaudio.models.wav2vec2 import model as wav2vec2_module
from emberaudio.models.wav2vec2.wavlm_attention import WavLMSelfAttention

SOURCES = ["drums", "bass", "other", "vocals"]

# fmt: off
LAYOUTS = {
    "wavlm_base": (models.wavlm_base, ("0df2ed5266e0f503", 199, 94381168)),
    "wavlm_large": (lambda: models.wavlm_large(aux_num_out=32), ("ec27b4fa9292f271", 393, 315484896)),
    "hubert_pretrain_base": (models.hubert_pretrain_base, ("67099d9ac0ab7669", 214, 94594176)),
    "hubert_pretrain_large": (models.hubert_pretrain_large, ("b9dd4dd412961924", 418, 316606336)),
    "hubert_pretrain_xlarge": (models.hubert_pretrain_xlarge, ("cf09c75dc497ec8f", 802, 964317568)),
    "tacotron2": (models.Tacotron2, ("e52108d9cc1f1c4b", 84, 28193153)),
    "emformer": (lambda: models.Emformer(512, 8, 2048, 20, 4, right_context_length=1), ("e311c240b3c4997f", 320, 63068160)),
    "emformer_rnnt_base": (lambda: models.emformer_rnnt_base(4097), ("2fa13c3d8e48e905", 352, 76738049)),
    "hdemucs_low": (lambda: models.hdemucs_low(SOURCES), ("94734c79fdca677c", 277, 20040296)),
    "hdemucs_medium": (lambda: models.hdemucs_medium(SOURCES), ("aba7b1ab4856b618", 397, 78908488)),
    "hdemucs_high": (lambda: models.hdemucs_high(SOURCES), ("ab5bf3bfbb48cfe5", 397, 83639368)),
    "squim_objective_base": (models.squim_objective_base, ("34621cc5137ee113", 106, 7387658)),
    "squim_subjective_base": (models.squim_subjective_base, ("3ea229330c59829d", 216, 94395942)),
}
_INITS = (
    "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "kaiming_uniform_",
    "kaiming_normal_", "constant_", "ones_", "zeros_",
)
# fmt: on


@pytest.fixture
def no_init(monkeypatch):
    """Builders that only allocate: the nn.init fillers do nothing, so a billion parameters
    cost no time. The few computations on the (arbitrary) values, such as HDemucs's rescaling
    by the weights' deviation, run with numpy's floating-point warnings off."""
    for name in _INITS:
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)
    with np.errstate(all="ignore"):
        yield


def layout(model):
    entries = sorted(f"{k}:{'x'.join(map(str, v.shape))}" for k, v in model.state_dict().items())
    digest = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16]
    return digest, len(entries), sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", LAYOUTS)
def test_full_builders_match_torchaudio_layouts(no_init, name):
    build, expected = LAYOUTS[name]
    assert layout(build()) == expected


def test_builders_pass_torchaudios_configuration(monkeypatch):
    calls = []
    monkeypatch.setattr(wav2vec2_module, "wavlm_model", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr(
        wav2vec2_module, "hubert_pretrain_model", lambda **kwargs: calls.append(kwargs)
    )
    models.wavlm_base()
    models.wavlm_large()
    models.hubert_pretrain_base()
    models.hubert_pretrain_xlarge(mask_prob=0.5)
    base, large, pretrain_base, pretrain_xlarge = calls
    assert (base["encoder_num_buckets"], base["encoder_max_distance"]) == (320, 800)
    assert base["extractor_mode"] == "group_norm" and not base["encoder_layer_norm_first"]
    assert large["extractor_mode"] == "layer_norm" and large["encoder_layer_norm_first"]
    assert not large["extractor_conv_bias"] and large["encoder_ff_interm_dropout"] == 0.0
    assert (large["encoder_embed_dim"], large["encoder_num_layers"]) == (1024, 24)
    assert pretrain_base["feature_grad_mult"] == 0.1 and pretrain_base["num_classes"] == 100
    assert pretrain_base["final_dim"] == 256 and pretrain_base["mask_length"] == 10
    assert pretrain_xlarge["mask_prob"] == 0.5 and pretrain_xlarge["final_dim"] == 1024
    assert (pretrain_xlarge["encoder_embed_dim"], pretrain_xlarge["num_classes"]) == (1280, 500)


# ---------------------------------------------------------------------------------------------
# WavLM


def wavlm_config(**overrides):
    config = dict(
        extractor_mode="layer_norm",
        extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2)],
        extractor_conv_bias=False,
        encoder_embed_dim=12,
        encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=6,
        encoder_pos_conv_groups=3,
        encoder_num_layers=2,
        encoder_num_heads=3,
        encoder_num_buckets=16,
        encoder_max_distance=20,
        encoder_attention_dropout=0.0,
        encoder_ff_interm_features=20,
        encoder_ff_interm_dropout=0.0,
        encoder_dropout=0.0,
        encoder_layer_norm_first=True,
        encoder_layer_drop=0.0,
        aux_num_out=5,
    )
    config.update(overrides)
    return config


def reference_bucket(offset, num_buckets, max_distance):
    """WavLM's formula (5), bidirectional, for one offset ``key - query``."""
    half = num_buckets // 2
    exact = half // 2
    bucket = half if offset > 0 else 0
    distance = abs(offset)
    if distance < exact:
        return bucket + distance
    large = exact + int(
        math.log(distance / exact) / math.log(max_distance / exact) * (half - exact)
    )
    return bucket + min(large, half - 1)


def test_wavlm_relative_position_buckets():
    attention = WavLMSelfAttention(12, 3, has_relative_attention_bias=True, num_buckets=16)
    attention.max_distance = 20
    offsets = [-30, -20, -7, -4, -3, -1, 0, 1, 2, 3, 4, 5, 9, 19, 20, 100]
    buckets = attention._relative_positions_bucket(ember.tensor(offsets)).tolist()
    assert buckets == [reference_bucket(d, 16, 20) for d in offsets]
    # the bias of query i and key j is the embedding of bucket(j - i), head-major
    bias = attention.compute_bias(3, 4)
    weight = attention.rel_attn_embed.weight.detach().numpy()
    expected = np.stack(
        [[weight[reference_bucket(j - i, 16, 20)] for j in range(4)] for i in range(3)]
    )
    np.testing.assert_array_equal(bias.detach().numpy(), expected.transpose(2, 0, 1))


def test_wavlm_attention_against_numpy():
    # softmax(q k^T / sqrt(d) + gate * bias) v, with the gate of the GRU-like relative
    # position gating of WavLM: a * (b * const - 1) + 2 from sigmoids of the head's input
    ember.manual_seed(0)
    attention = WavLMSelfAttention(6, 2, has_relative_attention_bias=True, num_buckets=8)
    with ember.no_grad():
        attention.gru_rel_pos_const.uniform_(0.5, 1.5)
    x = ember.randn(2, 5, 6)
    padding = ember.tensor([[False] * 5, [False] * 3 + [True] * 2])
    with pytest.warns(UserWarning, match="mismatched key_padding_mask"):  # as torch warns
        out, bias = attention(x, key_padding_mask=padding)

    p = {k: v.detach().numpy().astype(np.float64) for k, v in attention.state_dict().items()}
    xs = x.numpy().astype(np.float64)
    qkv = xs @ p["attention.in_proj_weight"].T + p["attention.in_proj_bias"]
    q, k, v = (a.reshape(2, 5, 2, 3).transpose(0, 2, 1, 3) for a in np.split(qkv, 3, -1))
    heads = xs.reshape(2, 5, 2, 3).transpose(0, 2, 1, 3)
    gates = heads @ p["gru_rel_pos_linear.weight"].T + p["gru_rel_pos_linear.bias"]
    gates = 1 / (1 + np.exp(-gates.reshape(2, 2, 5, 2, 4).sum(-1)))
    gate = gates[..., 0] * (gates[..., 1] * p["gru_rel_pos_const"][..., 0] - 1) + 2
    buckets = [[reference_bucket(j - i, 8, 128) for j in range(5)] for i in range(5)]
    relative = p["rel_attn_embed.weight"][np.array(buckets)].transpose(2, 0, 1)  # (head, i, j)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(3) + gate[..., None] * relative
    scores[1, :, :, 3:] = -np.inf
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    heads_out = (weights @ v).transpose(0, 2, 1, 3).reshape(2, 5, 6)
    expected = heads_out @ p["attention.out_proj.weight"].T + p["attention.out_proj.bias"]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert tuple(bias.shape) == (2, 2, 5, 5)


def test_wavlm_model_shapes_bias_sharing_and_gradients(device):
    ember.manual_seed(0)
    model = models.wavlm_model(**wavlm_config()).to(device)
    layers = model.encoder.transformer.layers
    assert layers[0].attention.rel_attn_embed is not None
    assert layers[1].attention.rel_attn_embed is None
    x = ember.randn(2, 400, device=device, requires_grad=True)
    out, lengths = model(x)
    assert tuple(out.shape) == (2, 39, 5) and lengths is None and out.device.type == device
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    features, _ = model.extract_features(x.detach(), num_layers=1)
    assert len(features) == 1 and tuple(features[0].shape) == (2, 39, 12)
    with pytest.raises(AssertionError, match="attention_mask"):
        model(x.detach(), ember.tensor([400, 300], device=device))  # as torchaudio


# ---------------------------------------------------------------------------------------------
# HuBERT pre-training


def pretrain_config(**overrides):
    config = {
        key: value
        for key, value in wavlm_config(extractor_mode="group_norm").items()
        if key not in ("encoder_num_buckets", "encoder_max_distance", "aux_num_out")
    }
    config.update(
        mask_prob=0.5,
        mask_selection="static",
        mask_other=0.0,
        mask_length=3,
        no_mask_overlap=False,
        mask_min_space=1,
        mask_channel_prob=0.0,
        mask_channel_selection="static",
        mask_channel_other=0.0,
        mask_channel_length=2,
        no_mask_channel_overlap=False,
        mask_channel_min_space=1,
        skip_masked=False,
        skip_nomask=False,
        num_classes=6,
        final_dim=4,
        feature_grad_mult=None,
    )
    config.update(overrides)
    return config


def test_hubert_pretrain_initialization():
    # fairseq's: the Transformer's linear layers from N(0, 0.02²) with zero biases, Kaiming-
    # normal extractor convolutions, a zero positional-convolution bias; U(0, 1) embeddings
    ember.manual_seed(0)
    model = models.hubert_pretrain_model(**pretrain_config(encoder_embed_dim=48))
    layer = model.wav2vec2.encoder.transformer.layers[0]
    for linear in (
        layer.attention.q_proj,
        layer.attention.out_proj,
        layer.feed_forward.output_dense,
    ):
        assert linear.weight.std().item() == pytest.approx(0.02, rel=0.15)
        assert (linear.bias == 0).all()
    conv = model.wav2vec2.feature_extractor.conv_layers[1].conv.weight  # fan_in 8 * 3
    assert conv.std().item() == pytest.approx(math.sqrt(2 / 24), rel=0.15)
    assert (model.wav2vec2.encoder.transformer.pos_conv_embed.conv.bias == 0).all()
    labels = model.logit_generator.label_embeddings
    assert labels.min().item() >= 0 and labels.max().item() < 1


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(mask_type="uniform", mask_other=1.0),
        dict(mask_type="normal", mask_other=1.0),
        dict(mask_type="poisson"),
        dict(no_overlap=True, min_space=1),
    ],
)
def test_mask_indices_spare_padding_and_equal_counts(kwargs):
    ember.manual_seed(0)
    padding = ember.arange(40)[None, :] >= ember.tensor([40, 25, 33])[:, None]
    for padding_mask in (None, padding):
        mask = components._compute_mask_indices(
            (3, 40), padding_mask, 0.5, 4, min_masks=2, **kwargs
        )
        assert mask.dtype == ember.bool and tuple(mask.shape) == (3, 40)
        counts = mask.sum(-1).tolist()
        assert counts[0] > 0 and counts == [counts[0]] * 3
        if padding_mask is not None:
            assert not (mask & padding).any()


def test_static_mask_indices_are_whole_spans():
    # one row, so nothing is dropped to equalize the rows: every masked run is made of
    # spans of mask_length frames
    ember.manual_seed(1)
    for _ in range(5):
        row = components._compute_mask_indices((1, 60), None, 0.3, 5, min_masks=2)[0].tolist()
        runs = "".join("1" if m else "0" for m in row).split("0")
        assert all(len(run) >= 5 for run in runs if run) and sum(row) >= 5
    with pytest.raises(Exception, match="unknown mask selection: laplace"):
        components._compute_mask_indices((1, 60), None, 0.3, 5, "laplace", min_masks=2)


def test_compute_logits_by_hand():
    labels = ember.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
    proj = ember.tensor([[2.0, 0.0], [1.0, 1.0]])
    logits = components._compute_logits(proj, ember.tensor([1, 2]), labels)
    s = 1 / math.sqrt(2)
    # the cosine with the target, then with each class; -inf at the target's own class
    expected = [
        [0.0, 10.0, float("-inf"), 6.0],
        [10 * 7 / 5 * s, 10 * s, 10 * s, float("-inf")],
    ]
    np.testing.assert_allclose(logits.numpy(), expected, rtol=1e-6)


@pytest.fixture
def fixed_mask(monkeypatch):
    """Frames 1, 4, 5 and 9 (of each item) masked, as the pre-training's random spans."""
    mask = ember.zeros(2, 39, dtype=ember.bool)
    mask[:, [1, 4, 5, 9]] = True
    monkeypatch.setattr(components, "_compute_mask_indices", lambda *args, **kwargs: mask)


def test_hubert_pretrain_logits_and_masks(fixed_mask):
    ember.manual_seed(0)
    model = models.hubert_pretrain_model(**pretrain_config())
    labels = ember.randint(0, 6, (2, 39))
    logit_m, logit_u, penalty = model(ember.randn(2, 400), labels, ember.tensor([400, 120]))
    # 120 samples: (120 - 10) // 5 + 1 = 23, (23 - 3) // 2 + 1 = 11 frames: 4 masked, 7 not
    assert tuple(logit_m.shape) == (8, 7) and tuple(logit_u.shape) == (35 + 7, 7)
    assert penalty.dim() == 0 and penalty.item() > 0
    # each frame's own class is no negative
    assert (ember.isinf(logit_m[:, 1:]).sum(-1) == 1).all()
    with pytest.raises(ValueError, match="length of label"):
        model(ember.randn(2, 400), labels[:, :20])
    model = models.hubert_pretrain_model(**pretrain_config(skip_nomask=True))
    assert model(ember.randn(2, 400), labels)[1] is None


def test_hubert_pretrain_feature_grad_mult_scales_the_extractor_gradient(fixed_mask):
    grads = {}
    for mult in (None, 0.25):
        ember.manual_seed(0)
        model = models.hubert_pretrain_model(**pretrain_config(feature_grad_mult=mult)).eval()
        ember.manual_seed(1)
        logit_m, logit_u, penalty = model(ember.randn(2, 400), ember.randint(0, 6, (2, 39)))
        loss = logit_m[:, 0].sum() + logit_u[:, 0].sum() + penalty
        loss.backward()
        extractor = model.wav2vec2.feature_extractor.conv_layers[0].conv.weight
        grads[mult] = (extractor.grad.numpy(), model.logit_generator.final_proj.weight.grad)
    np.testing.assert_allclose(grads[0.25][0], 0.25 * grads[None][0], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grads[0.25][1].numpy(), grads[None][1].numpy(), rtol=1e-4)
    with pytest.raises(ValueError, match="feature_grad_mult"):
        models.hubert_pretrain_model(**pretrain_config(feature_grad_mult=1.5))


def test_mask_generator(device):
    ember.manual_seed(0)
    no_channels = (0.0, "static", 0.0, 2, False, 1)
    generator = components.MaskGenerator(4, 0.5, "static", 0.0, 2, False, 1, *no_channels)
    x = ember.randn(3, 20, 4, device=device)
    out, mask = generator.to(device)(x, None)
    out, mask, xs = (t.detach().cpu().numpy() for t in (out, mask, x))
    embedding = generator.mask_embedding.detach().cpu().numpy()
    np.testing.assert_array_equal(out[mask], np.broadcast_to(embedding, (mask.sum(), 4)))
    np.testing.assert_array_equal(out[~mask], xs[~mask])

    generator = components.MaskGenerator(4, 0.0, "static", 0.0, 2, False, 1, 0.5, *no_channels[1:])
    out, mask = generator.to(device)(x, None)
    assert mask is None
    out = out.detach().cpu().numpy()
    zeroed = (out == 0).all(1)  # (batch, channel): whole channels are zeroed
    assert zeroed.sum(-1).tolist() == [zeroed[0].sum()] * 3 and zeroed[0].sum() > 0
    kept = np.broadcast_to(~zeroed[:, None, :], out.shape)
    np.testing.assert_array_equal(out[kept], xs[kept])


# ---------------------------------------------------------------------------------------------
# Tacotron2

TACOTRON = dict(
    n_mels=6,
    n_symbol=10,
    symbol_embedding_dim=8,
    encoder_embedding_dim=8,
    encoder_n_convolution=2,
    encoder_kernel_size=3,
    decoder_rnn_dim=10,
    decoder_max_step=7,
    attention_rnn_dim=9,
    attention_hidden_dim=5,
    attention_location_n_filter=4,
    attention_location_kernel_size=3,
    prenet_dim=7,
    postnet_n_convolution=3,
    postnet_kernel_size=3,
    postnet_embedding_dim=6,
)


def test_tacotron2_teacher_forcing(device):
    ember.manual_seed(0)
    model = models.Tacotron2(mask_padding=True, **TACOTRON).to(device)
    d = dict(device=device)
    tokens = ember.randint(1, 10, (3, 5), **d)
    mel = ember.randn(3, 6, 8, requires_grad=True, **d)
    lengths = ember.tensor([5, 4, 2], **d)
    mel_out, postnet_out, gates, alignments = model(
        tokens, lengths, mel, ember.tensor([8, 6, 3], **d)
    )
    assert tuple(mel_out.shape) == tuple(postnet_out.shape) == (3, 6, 8)
    assert tuple(gates.shape) == (3, 8) and tuple(alignments.shape) == (3, 8, 5)
    # attention: a distribution over the valid tokens only
    alignments = alignments.detach().cpu().numpy()
    np.testing.assert_allclose(alignments.sum(-1), 1.0, rtol=1e-5)
    assert (alignments[1, :, 4:] == 0).all() and (alignments[2, :, 2:] == 0).all()
    # mask_padding: padded frames are zero, their gates 1e3
    assert (mel_out[2, :, 3:] == 0).all() and (postnet_out[1, :, 6:] == 0).all()
    assert (gates[2, 3:] == 1e3).all()
    (mel_out.sum() + postnet_out.sum() + gates.sum()).backward()
    assert mel.grad is not None
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        model(tokens, ember.tensor([2, 4, 5], **d), mel.detach(), ember.tensor([8, 6, 3], **d))


def test_tacotron2_infer_stops_on_the_gate(device):
    ember.manual_seed(0)
    model = models.Tacotron2(**TACOTRON).eval().to(device)
    tokens = ember.randint(1, 10, (2, 4), device=device)
    with ember.no_grad():
        model.decoder.gate_layer.weight.zero_()
        model.decoder.gate_layer.bias.fill_(5.0)  # sigmoid(5) > 0.5: every item stops at once
        mel, lengths, alignments = model.infer(tokens)
    assert tuple(mel.shape) == (2, 6, 1) and lengths.tolist() == [1, 1]
    assert tuple(alignments.shape) == (2, 1, 4)
    with ember.no_grad():
        model.decoder.gate_layer.bias.fill_(-5.0)  # never stops
        with pytest.warns(UserWarning, match="Reached max decoder steps"):
            mel, lengths, alignments = model.infer(tokens, ember.tensor([4, 2], device=device))
    assert tuple(mel.shape) == (2, 6, 7) and lengths.dtype == ember.int32
    assert lengths.tolist() == [7, 7] and tuple(alignments.shape) == (2, 7, 4)
    assert (alignments[1, :, 2:] == 0).all()


def test_tacotron2_prenet_dropout_stays_on_in_eval():
    # as in Tacotron 2 (and torchaudio), the prenet drops units at inference too
    ember.manual_seed(0)
    prenet = tacotron2._Prenet(6, [7, 7]).eval()
    x = ember.ones(50, 6)
    assert not ember.equal(prenet(x), prenet(x))


# ---------------------------------------------------------------------------------------------
# Emformer and RNN-T


def test_emformer_attention_mask_by_hand():
    # 5 frames in segments of 2 (the last one short), right context 1, left context 1, one
    # memory vector per segment (the last one is no memory): keys are
    # [m0, m1 | r0, r1, r2 | u0..u4]; queries [r0, r1, r2 | u0..u4 | s0, s1, s2]
    emformer = models.Emformer(
        4, 1, 4, 1, 2, left_context_length=1, right_context_length=1, max_memory_size=1
    )
    allowed = {
        "r0": "00 100 11000", "r1": "10 010 01110", "r2": "01 001 00011",
        "u0": "00 100 11000", "u1": "00 100 11000", "u2": "10 010 01110",
        "u3": "10 010 01110", "u4": "01 001 00011",
        "s0": "00 100 11000", "s1": "00 010 01110", "s2": "00 001 00011",
    }  # fmt: skip
    expected = [[c == "0" for c in row.replace(" ", "")] for row in allowed.values()]
    mask = emformer._gen_attention_mask(ember.zeros(5, 1, 4))
    assert mask.tolist() == expected
    right_context = emformer._gen_right_context(ember.arange(6.0).view(6, 1, 1))
    assert right_context.flatten().tolist() == [2.0, 4.0, 5.0]


@pytest.mark.parametrize("max_memory_size", [0, 4])
def test_emformer_streaming_matches_the_whole_utterance(max_memory_size, device):
    # with a left context that reaches the start, chunks of one segment and its right
    # context, run one after another, give what the whole utterance gives
    ember.manual_seed(0)
    emformer = models.Emformer(
        8,
        2,
        12,
        2,
        3,
        left_context_length=30,
        right_context_length=2,
        max_memory_size=max_memory_size,
    )
    emformer = emformer.eval().to(device)
    x = ember.randn(1, 9 + 2, 8, device=device)
    with ember.no_grad():
        whole, lengths = emformer(x, ember.tensor([9], device=device))
        outputs, states = [], None
        for start in range(0, 9, 3):
            chunk = x[:, start : start + 5]
            out, out_lengths, states = emformer.infer(
                chunk, ember.tensor([5], device=device), states
            )
            outputs.append(out)
    assert tuple(whole.shape) == (1, 9, 8) and lengths.tolist() == [9]
    assert out_lengths.tolist() == [3] and len(states) == 2 and len(states[0]) == 4
    np.testing.assert_allclose(ember.cat(outputs, 1).cpu().numpy(), whole.cpu().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="expected size of 5 for dimension 1"):
        emformer.infer(x, ember.tensor([11], device=device))


def test_emformer_padded_batch_and_gradients():
    ember.manual_seed(0)
    emformer = models.Emformer(8, 2, 12, 2, 3, activation="silu", right_context_length=1)
    x = ember.randn(3, 8, 8, requires_grad=True)
    out, lengths = emformer(x, ember.tensor([7, 5, 2]))
    assert tuple(out.shape) == (3, 7, 8) and lengths.tolist() == [7, 5, 2]
    out.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in emformer.parameters())
    with pytest.raises(ValueError, match="Unsupported activation tanh"):
        models.Emformer(8, 2, 12, 1, 3, activation="tanh")
    with pytest.raises(ValueError, match="weight_init_scale_strategy"):
        models.Emformer(8, 2, 12, 1, 3, weight_init_scale_strategy="linear")


def test_custom_lstm_is_an_lstm_cell():
    ember.manual_seed(0)
    lstm = rnnt._CustomLSTM(3, 4)
    cell = nn.LSTMCell(3, 4)
    with ember.no_grad():
        cell.weight_ih.copy_(lstm.x2g.weight)
        cell.bias_ih.copy_(lstm.x2g.bias)
        cell.weight_hh.copy_(lstm.p2g.weight)
        cell.bias_hh.zero_()
    x = ember.randn(5, 2, 3)
    out, (h, c) = lstm(x, None)
    state = None
    for step in x.unbind(0):
        state = cell(step, state)
    np.testing.assert_allclose(h.detach().numpy(), state[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.detach().numpy(), state[1].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[-1].detach().numpy(), h.detach().numpy())


RNNT_CONFIG = dict(
    input_dim=6,
    encoding_dim=8,
    num_symbols=5,
    segment_length=4,
    right_context_length=2,
    time_reduction_input_dim=4,
    time_reduction_stride=2,
    transformer_num_heads=2,
    transformer_ffn_dim=12,
    transformer_num_layers=2,
    transformer_dropout=0.0,
    transformer_activation="gelu",
    transformer_left_context_length=3,
    transformer_max_memory_size=1,
    transformer_weight_init_scale_strategy="depthwise",
    transformer_tanh_on_mem=True,
    symbol_embedding_dim=6,
    num_lstm_layers=2,
    lstm_layer_norm=True,
    lstm_layer_norm_epsilon=1e-3,
    lstm_dropout=0.0,
)


def test_rnnt_forward_shapes_and_gradients(device):
    ember.manual_seed(0)
    model = models.emformer_rnnt_model(**RNNT_CONFIG).to(device)
    d = dict(device=device)
    sources = ember.randn(3, 14, 6, requires_grad=True, **d)
    targets = ember.randint(0, 4, (3, 4), **d)
    output, source_lengths, target_lengths, state = model(
        sources, ember.tensor([12, 9, 6], **d), targets, ember.tensor([4, 3, 1], **d)
    )
    # time reduction by 2 of 14 - 2 frames of right context
    assert tuple(output.shape) == (3, 6, 4, 5) and output.device.type == device
    assert source_lengths.tolist() == [6, 4, 3] and target_lengths.tolist() == [4, 3, 1]
    assert len(state) == 2 and tuple(state[0][0].shape) == (3, 6)
    output.sum().backward()
    assert sources.grad is not None and all(p.grad is not None for p in model.parameters())
    with pytest.raises(ValueError, match="Unsupported activation"):
        rnnt._Joiner(4, 4, activation="gelu")


def test_rnnt_beam_search(device):
    ember.manual_seed(0)
    model = models.emformer_rnnt_model(**RNNT_CONFIG).eval().to(device)
    with ember.no_grad():  # a joint network that emits a few different tokens
        model.joiner.linear.weight.copy_(0.5 * ember.randn(5, 8))
        model.joiner.linear.bias.zero_()
    search = models.RNNTBeamSearch(model, blank=4)
    x = ember.randn(16, 6, device=device)
    with ember.no_grad():
        hypotheses = search(x, ember.tensor(14, device=device), 3)
    assert len(hypotheses) == 3
    keys = [score / (len(tokens) + 1) for tokens, _, _, score in hypotheses]
    assert keys == sorted(keys, reverse=True)
    for tokens, predictor_out, state, score in hypotheses:
        assert tokens[0] == 4 and 4 not in tokens[1:] and score < 0
        assert tuple(predictor_out.shape) == (1, 8) and len(state) == 2
    assert len({str(tokens) for tokens, *_ in hypotheses}) == 3
    with ember.no_grad():
        streamed, state = search.infer(x[None, :6], ember.tensor([6], device=device), 2)
        streamed, state = search.infer(x[6:12], ember.tensor(6, device=device), 2, state, streamed)
    assert len(streamed) == 2 and len(state) == 2
    with pytest.raises(ValueError, match=r"input must be of shape \(T, D\) or \(1, T, D\)"):
        search(x[None].expand(2, -1, -1), ember.tensor(14), 3)
    with pytest.raises(ValueError, match=r"length must be of shape \(\) or \(1,\)"):
        search(x, ember.tensor([14, 14]), 3)


# ---------------------------------------------------------------------------------------------
# HDemucs and SQUIM

HDEMUCS = dict(
    sources=["a", "b"],
    audio_channels=2,
    channels=8,
    dconv_comp=2,
    nfft=64,
    depth=3,
    dconv_attn=1,
    dconv_lstm=2,
    norm_starts=1,
    norm_groups=2,
)


def test_hdemucs_spectrogram():
    # the reflect-padded signal (1.5 hops, and to a whole number of hops), then stft's own
    # centering: frames 2 .. 2 + ceil(length / hop) of the normalized, Hann-windowed DFT,
    # without the Nyquist bin
    model = models.HDemucs(**HDEMUCS)
    x = ember.randn(2, 2, 300)
    z = model._spec(x).numpy()
    hop, n_fft, frames = 16, 64, math.ceil(300 / 16)
    padded = np.pad(x.numpy(), [(0, 0), (0, 0), (24, 24 + frames * hop - 300)], mode="reflect")
    padded = np.pad(padded, [(0, 0), (0, 0), (32, 32)], mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    starts = (np.arange(frames) + 2) * hop
    segments = padded[..., starts[:, None] + np.arange(n_fft)] * window  # (..., frame, n)
    expected = np.fft.rfft(segments, axis=-1)[..., : n_fft // 2] / math.sqrt(n_fft)
    assert z.shape == (2, 2, 32, frames)
    np.testing.assert_allclose(z, expected.swapaxes(-1, -2), atol=1e-5)


def test_hdemucs_forward_and_gradients(device):
    ember.manual_seed(0)
    model = models.HDemucs(**HDEMUCS).to(device)
    x = ember.randn(2, 2, 300, device=device, requires_grad=True)
    out = model(x)
    assert tuple(out.shape) == (2, 2, 2, 300) and out.device.type == device
    out.sum().backward()
    assert x.grad is not None
    # as in torchaudio, the time branch's last layer (a bare convolution) has an unused norm
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert missing == ["time_encoder.1.norm1.weight", "time_encoder.1.norm1.bias"]
    with pytest.raises(ValueError, match="Expected 3D tensor"):
        model(x[0])
    with pytest.raises(ValueError, match="must match `audio_channels`"):
        model(ember.randn(2, 1, 300, device=device))


def test_hdemucs_layers():
    # the rescaled initialization: every convolution's weight deviation is sqrt(0.1 * std0)
    ember.manual_seed(0)
    conv = nn.Conv1d(4, 4, 3)
    std = conv.weight.std().item()
    _hdemucs._rescale_module(conv)
    assert conv.weight.std().item() == pytest.approx(math.sqrt(0.1 * std), rel=1e-5)
    # framed BLSTM (over 200 steps): the same shape, finite
    blstm = _hdemucs._BLSTM(3, layers=1, skip=True)
    out = blstm(ember.randn(1, 3, 450))
    assert tuple(out.shape) == (1, 3, 450) and ember.isfinite(out).all()
    with pytest.raises(ValueError, match="divisible by heads"):
        _hdemucs._LocalState(6, heads=4)


def test_squim_objective(device):
    ember.manual_seed(0)
    model = models.squim_objective_model(8, 8, 8, 2, 6, 2, "GRU", 7).eval().to(device)
    x = ember.randn(2, 203, device=device, requires_grad=True)
    stoi, pesq, sisdr = model(x)
    assert tuple(stoi.shape) == tuple(pesq.shape) == tuple(sisdr.shape) == (2,)
    assert ((stoi > 0) & (stoi < 1)).all()
    assert ((pesq > objective.PESQRange[0]) & (pesq < objective.PESQRange[1])).all()
    assert objective.PESQRange[1] == pytest.approx(4.64389, abs=1e-5)  # wide-band PESQ of 4.5
    (stoi + pesq + sisdr).sum().backward()
    assert x.grad is not None
    with pytest.raises(ValueError, match="must be a 2D Tensor"):
        model(x[0])
    # chunking in half-overlapping chunks, then overlap-adding, counts each frame twice
    dprnn = objective.DPRNN(4, 3, 1, "LSTM", 4, 5, 2)
    frames = ember.randn(2, 4, 13)
    chunks, rest = dprnn.chunking(frames)
    assert tuple(chunks.shape) == (2, 4, 5, 8)
    np.testing.assert_allclose(dprnn.merging(chunks, rest).numpy(), 2 * frames.numpy())


def test_squim_subjective(monkeypatch):
    from emberaudio.models.squim import subjective

    ember.manual_seed(0)
    config = wavlm_config(aux_num_out=None)
    del config["encoder_num_buckets"], config["encoder_max_distance"]
    tiny = lambda: models.wav2vec2_model(**config)  # noqa: E731
    monkeypatch.setattr(subjective.wav2vec2, "wav2vec2_base", tiny)
    model = models.squim_subjective_model("wav2vec2_base", 12, 4, 5).eval()
    waveform, reference = ember.randn(2, 700), ember.randn(2, 300)
    _, aligned = model._align_shapes(waveform, reference)
    np.testing.assert_array_equal(aligned.numpy(), np.tile(reference.numpy(), 3)[:, :700])
    score = model(waveform, reference)
    assert tuple(score.shape) == (2,) and ((score > 1) & (score < 5)).all()
