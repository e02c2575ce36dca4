"""Parity of emberaudio's WavLM, HuBERTPretrainModel, Tacotron2, Emformer, RNNT and
RNNTBeamSearch, HDemucs and SQUIM with torchaudio 2.11: each model is built in both frameworks
on a tiny configuration, torchaudio's random weights (nudged, so that constant initial values
such as gates and layer scales are exercised) are copied into ember's through ``state_dict``
arrays, and the two must agree in eval mode on the same input: outputs and the input's
gradient, through the harness in conftest.py.

Randomness is taken out where the models draw it: the prenet of Tacotron2 drops units even in
eval mode (``nn.functional.dropout`` is the identity in both frameworks for those tests), and
HuBERT's pre-training masks are fixed (their distribution is compared separately).
"""

import numpy as np
import pytest
import torch

import ember
import emberaudio

# the parity environment may have torch without torchaudio
torchaudio = pytest.importorskip("torchaudio")

MODEL = dict(rtol=1e-4, atol=1e-5)


def M(fw):
    return emberaudio.models if fw is ember else torchaudio.models


def twins(build, nudge=0.05):
    """``build(M(fw))`` in torchaudio (seeded, its parameters nudged by N(0, nudge²) and its
    batch-norm statistics drawn) and in ember with torchaudio's state dict, both in eval
    mode, keyed by framework name."""
    torch.manual_seed(0)
    reference = build(torchaudio.models)
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.add_(nudge * torch.randn_like(parameter))
        for name, buffer in reference.named_buffers():
            if name.endswith(("running_mean", "running_var")):
                buffer.uniform_(0.5, 1.5)
    model = build(emberaudio.models)
    state = reference.state_dict()
    assert list(model.state_dict()) == list(state)
    model.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in state.items()})
    return {"ember": model.eval(), "torch": reference.eval()}


@pytest.fixture
def no_dropout(monkeypatch):
    """``nn.functional.dropout`` is the identity in both frameworks."""

    def identity(input, p=0.5, training=True, inplace=False):
        return input

    monkeypatch.setattr(torch.nn.functional, "dropout", identity)
    monkeypatch.setattr(ember.nn.functional, "dropout", identity)


# ---------------------------------------------------------------------------------------------
# WavLM and HuBERT pre-training


def wav2vec2_config(extractor_mode="layer_norm", layer_norm_first=True):
    return dict(
        extractor_mode=extractor_mode,
        extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2)],
        extractor_conv_bias=extractor_mode == "layer_norm",
        encoder_embed_dim=12,
        encoder_projection_dropout=0.1,
        encoder_pos_conv_kernel=6,
        encoder_pos_conv_groups=3,
        encoder_num_layers=3,
        encoder_num_heads=3,
        encoder_attention_dropout=0.1,
        encoder_ff_interm_features=20,
        encoder_ff_interm_dropout=0.1,
        encoder_dropout=0.1,
        encoder_layer_norm_first=layer_norm_first,
        encoder_layer_drop=0.1,
    )


@pytest.mark.parametrize(
    "mode, norm_first, aux", [("group_norm", False, 5), ("layer_norm", True, None)]
)
def test_wavlm_model(parity, mode, norm_first, aux):
    config = dict(wav2vec2_config(mode, norm_first), aux_num_out=aux)
    models = twins(
        lambda m: m.wavlm_model(**config, encoder_num_buckets=16, encoder_max_distance=20)
    )
    x = parity.randn(2, 400)
    parity.check(lambda fw, x: models[fw.__name__](x), x, **MODEL)

    def extract(fw, x):
        features, _ = models[fw.__name__].extract_features(x, num_layers=2)
        return tuple(features)

    parity.check(extract, x, **MODEL)


@pytest.mark.parametrize("gru_rel_pos", [True, False])
def test_wavlm_attention_with_key_padding(parity, gru_rel_pos):
    def build(m):
        return m.wav2vec2.wavlm_attention.WavLMSelfAttention(
            8,
            2,
            has_relative_attention_bias=True,
            num_buckets=10,
            max_distance=12,
            gru_rel_pos=gru_rel_pos,
        )

    models = twins(build, nudge=0.3)
    x = parity.randn(3, 9, 8)
    padding = np.arange(9)[None, :] >= np.array([9, 6, 2])[:, None]
    additive = np.where(padding, -np.inf, 0.0).astype(np.float32)
    parity.check(
        lambda fw, x, p: models[fw.__name__](x, key_padding_mask=p), x, additive, grad=(0,), **MODEL
    )
    # a boolean mask: the same, with torch's deprecation warning
    outputs = {}
    for fw in (ember, torch):
        with pytest.warns(UserWarning, match="mismatched key_padding_mask"):
            outputs[fw.__name__] = models[fw.__name__](
                fw.from_numpy(x), key_padding_mask=fw.from_numpy(padding)
            )[0]
    np.testing.assert_allclose(
        outputs["ember"].detach().numpy(), outputs["torch"].detach().numpy(), **MODEL
    )


@pytest.mark.parametrize("num_buckets, max_distance", [(320, 800), (32, 128), (16, 20), (8, 10)])
def test_wavlm_relative_position_buckets(num_buckets, max_distance):
    offsets = np.arange(-1000, 1000)
    buckets = {}
    for fw in (ember, torch):
        attention = M(fw).wav2vec2.wavlm_attention.WavLMSelfAttention(
            8, 2, num_buckets=num_buckets, max_distance=max_distance
        )
        buckets[fw.__name__] = attention._relative_positions_bucket(fw.from_numpy(offsets)).numpy()
    np.testing.assert_array_equal(buckets["ember"], buckets["torch"])


def pretrain_config(**overrides):
    config = dict(
        wav2vec2_config("group_norm", False),
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
        feature_grad_mult=0.1,
    )
    config.update(overrides)
    return config


@pytest.mark.parametrize("lengths", [None, [400, 250]])
def test_hubert_pretrain_model(parity, monkeypatch, lengths):
    mask = parity.uniform(0, 1, 2, 39) < 0.4
    for fw in (ember, torch):
        components = M(fw).wav2vec2.components
        monkeypatch.setattr(
            components, "_compute_mask_indices", lambda *a, fw=fw, **k: fw.from_numpy(mask)
        )
    models = twins(lambda m: m.hubert_pretrain_model(**pretrain_config()))
    x, labels = parity.randn(2, 400), parity.integers(0, 6, 2, 39)
    args = (x, labels) if lengths is None else (x, labels, np.array(lengths))
    parity.check(lambda fw, *args: models[fw.__name__](*args), *args, **MODEL)


@pytest.mark.parametrize(
    "kwargs", [dict(), dict(no_overlap=True, min_space=1), dict(mask_type="uniform")]
)
def test_hubert_mask_indices_distribution(kwargs):
    # random spans: the number of masked frames has the same mean and spread (400 draws)
    padding = np.arange(79)[None, :] >= np.array([79, 50, 79])[:, None]
    counts = {}
    for fw in (ember, torch):
        fw.manual_seed(0)
        components = M(fw).wav2vec2.components
        counts[fw.__name__] = np.array(
            [
                components._compute_mask_indices(
                    (3, 79), fw.from_numpy(padding), 0.8, 10, min_masks=2, **kwargs
                )
                .sum()
                .item()
                for _ in range(400)
            ]
        )
    e, t = counts["ember"], counts["torch"]
    assert abs(e.mean() - t.mean()) < 4 * np.hypot(e.std(), t.std()) / np.sqrt(400)
    assert e.std() == pytest.approx(t.std(), rel=0.25)


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
    decoder_max_step=10,
    attention_rnn_dim=9,
    attention_hidden_dim=5,
    attention_location_n_filter=4,
    attention_location_kernel_size=3,
    prenet_dim=7,
    postnet_n_convolution=3,
    postnet_kernel_size=3,
    postnet_embedding_dim=6,
)
TOKENS = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 0], [3, 5, 0, 0, 0]])


@pytest.mark.parametrize("mask_padding", [False, True])
def test_tacotron2_teacher_forcing(parity, no_dropout, mask_padding):
    models = twins(lambda m: m.Tacotron2(mask_padding=mask_padding, **TACOTRON))
    mel = parity.randn(3, 6, 8)
    args = (TOKENS, np.array([5, 4, 2]), mel, np.array([8, 6, 3]))
    if not mask_padding:
        parity.check(lambda fw, *a: models[fw.__name__](*a), *args, **MODEL)
        return

    # torchaudio fills the padding of its outputs in place, which its backward then rejects
    def forward(fw, *args):
        with fw.no_grad():
            return models[fw.__name__](*args)

    parity.check(forward, *args, **MODEL)


def test_tacotron2_infer(parity, no_dropout):
    models = twins(lambda m: m.Tacotron2(**TACOTRON), nudge=0.0)
    # a gate that stops the items after 2, 2 and 3 frames (every sigmoid at least 0.005 from
    # the threshold, in torchaudio)
    gate = np.random.default_rng(16).standard_normal((1, 18)).astype(np.float32)
    for fw in (ember, torch):
        with fw.no_grad():
            models[fw.__name__].decoder.gate_layer.weight.copy_(fw.from_numpy(gate))
            models[fw.__name__].decoder.gate_layer.bias.fill_(-0.5)

    def infer(fw, *args):
        with fw.no_grad():
            return models[fw.__name__].infer(*args)

    _, lengths, _ = parity.check(infer, TOKENS, np.array([5, 4, 2]), **MODEL)
    assert lengths.tolist() == [2, 2, 3]
    parity.check(infer, TOKENS[:2], **MODEL)
    for model in models.values():
        model.decoder.decoder_max_step = 2
    with pytest.warns(UserWarning, match="Reached max decoder steps"):
        parity.check(infer, TOKENS, np.array([5, 4, 2]), **MODEL)


# ---------------------------------------------------------------------------------------------
# Emformer, RNNT and beam search

EMFORMERS = [
    dict(segment_length=3, left_context_length=2, right_context_length=1, max_memory_size=2),
    dict(segment_length=4, activation="gelu", tanh_on_mem=True),
    dict(
        segment_length=2,
        right_context_length=2,
        left_context_length=3,
        activation="silu",
        weight_init_scale_strategy=None,
        max_memory_size=1,
    ),
]


@pytest.mark.parametrize("config", EMFORMERS)
def test_emformer(parity, config):
    models = twins(lambda m: m.Emformer(8, 2, 12, 2, **config))
    rc = config.get("right_context_length", 0)
    x = parity.randn(3, 10 + rc, 8)
    parity.check(lambda fw, x, n: models[fw.__name__](x, n), x, np.array([10, 7, 4]), **MODEL)

    segment = config["segment_length"]
    states = {"ember": None, "torch": None}

    def infer(fw, x, n):
        out, lengths, state = models[fw.__name__].infer(x, n, states[fw.__name__])
        state = [t for layer in state for t in layer]
        # the next chunk starts from this state, out of this chunk's graph
        states[fw.__name__] = [
            [t.detach() for t in state[i : i + 4]] for i in range(0, len(state), 4)
        ]
        return out, lengths, *state

    for _ in range(3):
        chunk = parity.randn(3, segment + rc, 8)
        parity.check(infer, chunk, np.array([segment + rc] * 2 + [segment]), grad=(0,), **MODEL)


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


@pytest.mark.parametrize("layer_norm", [True, False])
def test_rnnt(parity, layer_norm):
    config = dict(RNNT_CONFIG, lstm_layer_norm=layer_norm)
    models = twins(lambda m: m.emformer_rnnt_model(**config))
    x, targets = parity.randn(3, 14, 6), parity.integers(0, 4, 3, 4)

    def forward(fw, x, n, y, m):
        output, source_lengths, target_lengths, state = models[fw.__name__](x, n, y, m)
        return output, source_lengths, target_lengths, *[t for layer in state for t in layer]

    parity.check(forward, x, np.array([12, 9, 6]), targets, np.array([4, 3, 1]), **MODEL)


def beam_twins():
    """RNN-Ts whose joint network emits a few different tokens between blanks."""
    models = twins(lambda m: m.emformer_rnnt_model(**RNNT_CONFIG))
    weight = 0.5 * np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    for fw in (ember, torch):
        with fw.no_grad():
            models[fw.__name__].joiner.linear.weight.copy_(fw.from_numpy(weight))
            models[fw.__name__].joiner.linear.bias.zero_()
    return models


def assert_same_hypotheses(ember_hypotheses, torch_hypotheses):
    assert [h[0] for h in ember_hypotheses] == [h[0] for h in torch_hypotheses]
    for e, t in zip(ember_hypotheses, torch_hypotheses):
        assert e[3] == pytest.approx(t[3], rel=1e-4, abs=1e-5)
        np.testing.assert_allclose(e[1].numpy(), t[1].numpy(), **MODEL)
        for e_layer, t_layer in zip(e[2], t[2]):
            for e_state, t_state in zip(e_layer, t_layer):
                np.testing.assert_allclose(e_state.numpy(), t_state.numpy(), **MODEL)


@pytest.mark.parametrize("beam_width, temperature", [(1, 1.0), (3, 1.0), (4, 0.7)])
def test_rnnt_beam_search(parity, beam_width, temperature):
    models = beam_twins()
    x = parity.randn(16, 6)
    hypotheses = {}
    for fw in (ember, torch):
        search = M(fw).RNNTBeamSearch(models[fw.__name__], blank=4, temperature=temperature)
        with fw.no_grad():
            hypotheses[fw.__name__] = search(fw.from_numpy(x), fw.tensor(14), beam_width)
    assert len(hypotheses["torch"]) == beam_width
    assert_same_hypotheses(hypotheses["ember"], hypotheses["torch"])


def test_rnnt_beam_search_streaming(parity):
    models = beam_twins()
    searches = {
        fw.__name__: M(fw).RNNTBeamSearch(models[fw.__name__], blank=4, step_max_tokens=2)
        for fw in (ember, torch)
    }
    carried = {"ember": (None, None), "torch": (None, None)}
    for _ in range(3):
        chunk = parity.randn(6, 6)
        for fw in (ember, torch):
            state, hypotheses = carried[fw.__name__]
            with fw.no_grad():
                hypotheses, state = searches[fw.__name__].infer(
                    fw.from_numpy(chunk), fw.tensor([6]), 3, state, hypotheses
                )
            carried[fw.__name__] = (state, hypotheses)
        assert_same_hypotheses(carried["ember"][1], carried["torch"][1])


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


@pytest.mark.parametrize("frames", [300, 256])
def test_hdemucs(parity, frames):
    models = twins(lambda m: m.HDemucs(**HDEMUCS))
    x = parity.randn(2, 2, frames)
    parity.check(lambda fw, x: models[fw.__name__](x), x, rtol=1e-4, atol=2e-5)


def test_hdemucs_framed_blstm(parity):
    models = twins(lambda m: m._hdemucs._BLSTM(3, layers=2, skip=True))
    x = parity.randn(2, 3, 450)  # over max_steps (200): overlapping chunks of 200
    parity.check(lambda fw, x: models[fw.__name__](x), x, **MODEL)


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN"])
def test_squim_objective(parity, rnn_type):
    models = twins(lambda m: m.squim_objective_model(8, 8, 8, 2, 6, 2, rnn_type, 7))
    x = parity.randn(2, 203)
    parity.check(lambda fw, x: tuple(models[fw.__name__](x)), x, **MODEL)


def test_squim_subjective(parity):
    def build(m):
        config = dict(wav2vec2_config("group_norm", False), aux_num_out=None)
        linear = (ember if m is emberaudio.models else torch).nn.Linear(12, 4)
        subjective = m.squim.subjective
        return subjective.SquimSubjective(
            m.wav2vec2_model(**config), linear, subjective.Predictor(8, 5)
        )

    models = twins(build)
    waveform, reference = parity.randn(2, 700), parity.randn(2, 300)
    parity.check(lambda fw, w, r: models[fw.__name__](w, r), waveform, reference, **MODEL)
