"""emberaudio.models: torchaudio's layer layouts (state-dict keys and shapes), output shapes,
Wav2Vec2Model's lengths arithmetic, padding masks and gradients on tiny configurations (the
full-size base model is built once, for its keys), and a constant-weight Wav2Letter whose output
is known by hand.

The layout fingerprints were computed once with torchaudio 2.11::

    def layout(model):
        entries = sorted(f"{k}:{'x'.join(map(str, v.shape))}" for k, v in model.state_dict().items())
        digest = hashlib.sha256("\\n".join(entries).encode()).hexdigest()[:16]
        return digest, len(entries), sum(p.numel() for p in model.parameters())

    layout(torchaudio.models.wav2vec2_base(aux_num_out=32))  # and each model below
"""

import hashlib
import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.testing import assert_close
from emberaudio import models
from emberaudio.models import Wav2Letter
from emberaudio.models.wav2vec2 import model as wav2vec2_module


def expected_shapes(num_classes, first_in):
    """torchaudio's acoustic model: (out, in, kernel) of each Conv1d, at Sequential index 2i."""
    convs = [(250, first_in, 48)] + [(250, 250, 7)] * 7 + [(2000, 250, 32), (2000, 2000, 1)]
    convs.append((num_classes, 2000, 1))
    return {2 * i: shape for i, shape in enumerate(convs)}


def test_waveform_layout_matches_torchaudio():
    model = Wav2Letter(num_classes=29, num_features=2)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = {
        "acoustic_model.0.0.weight": (250, 2, 250),
        "acoustic_model.0.0.bias": (250,),
    }
    for index, shape in expected_shapes(29, 250).items():
        expected[f"acoustic_model.1.{index}.weight"] = shape
        expected[f"acoustic_model.1.{index}.bias"] = shape[:1]
    assert shapes == expected
    assert (
        sum(p.numel() for p in model.parameters()) == 26_251_779
    )  # torchaudio 2.11 counts the same
    front = model.acoustic_model[0][0]
    assert (front.stride, front.padding) == ((160,), (45,))
    assert isinstance(model.acoustic_model[1][21], nn.ReLU)


@pytest.mark.parametrize("input_type", ["power_spectrum", "mfcc"])
def test_feature_layout_matches_torchaudio(input_type):
    model = Wav2Letter(num_classes=10, input_type=input_type, num_features=13)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = {}
    for index, shape in expected_shapes(10, 13).items():
        expected[f"acoustic_model.{index}.weight"] = shape
        expected[f"acoustic_model.{index}.bias"] = shape[:1]
    assert shapes == expected


def test_output_shapes_and_log_probabilities():
    ember.manual_seed(0)
    model = Wav2Letter(num_classes=5, input_type="mfcc", num_features=13).eval()
    with ember.no_grad():
        out = model(ember.randn(2, 13, 40))
    # kernel 48, stride 2, padding 23 halves the length; kernel 32, padding 16 adds one
    assert tuple(out.shape) == (2, 5, 21)
    np.testing.assert_allclose(np.exp(out.numpy()).sum(axis=1), 1.0, rtol=1e-5)

    waveform_model = Wav2Letter(num_classes=5).eval()
    with ember.no_grad():
        assert tuple(waveform_model(ember.randn(1, 1, 16000)).shape) == (1, 5, 51)


def test_constant_network_output_by_hand():
    # zero weights, biases b: every ReLU passes b, the last layer outputs its bias per class
    model = Wav2Letter(num_classes=3, input_type="mfcc", num_features=4)
    with ember.no_grad():
        for name, param in model.named_parameters():
            param.zero_()
            if name == "acoustic_model.20.bias":
                param.copy_(ember.tensor([0.0, 1.0, 2.0]))
    out = model(ember.randn(1, 4, 10)).detach().numpy()
    logits = np.array([0.0, 1.0, 2.0])
    log_softmax = logits - math.log(np.exp(logits).sum())
    np.testing.assert_allclose(out[0], np.repeat(log_softmax[:, None], out.shape[-1], 1), rtol=1e-6)


def layout(model):
    entries = sorted(f"{k}:{'x'.join(map(str, v.shape))}" for k, v in model.state_dict().items())
    digest = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16]
    return digest, len(entries), sum(p.numel() for p in model.parameters())


def tiny_config(extractor_mode="layer_norm", layer_norm_first=True, aux_num_out=5):
    return dict(
        extractor_mode=extractor_mode,
        extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2), (8, 2, 2)],
        extractor_conv_bias=extractor_mode == "layer_norm",
        encoder_embed_dim=12,
        encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=6,
        encoder_pos_conv_groups=3,
        encoder_num_layers=2,
        encoder_num_heads=3,
        encoder_attention_dropout=0.0,
        encoder_ff_interm_features=20,
        encoder_ff_interm_dropout=0.0,
        encoder_dropout=0.0,
        encoder_layer_norm_first=layer_norm_first,
        encoder_layer_drop=0.0,
        aux_num_out=aux_num_out,
    )


def tiny_model(**kwargs):
    ember.manual_seed(0)
    return models.wav2vec2_model(**tiny_config(**kwargs)).eval()


def test_wav2vec2_base_layout_matches_torchaudio():
    model = models.wav2vec2_base(aux_num_out=32)
    assert layout(model) == ("1e0558a9f2e19a15", 212, 94_395_552)
    state = model.state_dict()
    # torchaudio 2.11 weight-normalizes with nn.utils.parametrizations, over the kernel dim
    prefix = "encoder.transformer.pos_conv_embed.conv.parametrizations.weight"
    assert tuple(state[f"{prefix}.original0"].shape) == (1, 1, 128)
    assert tuple(state[f"{prefix}.original1"].shape) == (768, 48, 128)
    assert tuple(state["feature_extractor.conv_layers.0.layer_norm.weight"].shape) == (512,)
    assert "feature_extractor.conv_layers.1.layer_norm.weight" not in state
    assert tuple(state["aux.weight"].shape) == (32, 768)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (
            dict(extractor_mode="group_norm", layer_norm_first=False, aux_num_out=None),
            ("558a087cb9e8835d", 46, 3238),
        ),
        (dict(), ("9f42ddf0a9f697bb", 55, 3359)),
    ],
)
def test_wav2vec2_tiny_layouts_match_torchaudio(kwargs, expected):
    assert layout(tiny_model(**kwargs)) == expected


# torchaudio's builders: (extractor_mode, extractor_conv_bias, encoder_embed_dim,
# encoder_num_layers, encoder_num_heads, encoder_ff_interm_features, encoder_layer_norm_first)
# and the defaults of (projection, attention, ff_interm, dropout, layer_drop)
BUILDERS = {
    "wav2vec2_base": (
        ("group_norm", False, 768, 12, 12, 3072, False),
        (0.1, 0.1, 0.1, 0.1, 0.1),
    ),
    "wav2vec2_large": (
        ("group_norm", False, 1024, 24, 16, 4096, False),
        (0.1, 0.1, 0.1, 0.1, 0.1),
    ),
    "wav2vec2_large_lv60k": (
        ("layer_norm", True, 1024, 24, 16, 4096, True),
        (0.1, 0.0, 0.1, 0.0, 0.1),
    ),
    "hubert_base": (
        ("group_norm", False, 768, 12, 12, 3072, False),
        (0.1, 0.1, 0.0, 0.1, 0.05),
    ),
    "hubert_large": (
        ("layer_norm", False, 1024, 24, 16, 4096, True),
        (0.0, 0.0, 0.0, 0.0, 0.0),
    ),
    "hubert_xlarge": (
        ("layer_norm", False, 1280, 48, 16, 5120, True),
        (0.0, 0.0, 0.0, 0.0, 0.0),
    ),
    "wav2vec2_xlsr_300m": (
        ("layer_norm", True, 1024, 24, 16, 4096, True),
        (0.0, 0.0, 0.0, 0.0, 0.0),
    ),
    "wav2vec2_xlsr_1b": (
        ("layer_norm", True, 1280, 48, 16, 5120, True),
        (0.1, 0.0, 0.0, 0.0, 0.0),
    ),
    "wav2vec2_xlsr_2b": (
        ("layer_norm", True, 1920, 48, 16, 7680, True),
        (0.1, 0.0, 0.0, 0.0, 0.0),
    ),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_wav2vec2_builders_pass_torchaudios_configuration(monkeypatch, name):
    calls = []
    monkeypatch.setattr(wav2vec2_module, "wav2vec2_model", lambda **kwargs: calls.append(kwargs))
    getattr(models, name)(aux_num_out=7)
    (mode, bias, dim, layers, heads, ff, norm_first), dropouts = BUILDERS[name]
    assert calls == [
        dict(
            extractor_mode=mode,
            extractor_conv_layer_config=None,
            extractor_conv_bias=bias,
            encoder_embed_dim=dim,
            encoder_projection_dropout=dropouts[0],
            encoder_pos_conv_kernel=128,
            encoder_pos_conv_groups=16,
            encoder_num_layers=layers,
            encoder_num_heads=heads,
            encoder_attention_dropout=dropouts[1],
            encoder_ff_interm_features=ff,
            encoder_ff_interm_dropout=dropouts[2],
            encoder_dropout=dropouts[3],
            encoder_layer_norm_first=norm_first,
            encoder_layer_drop=dropouts[4],
            aux_num_out=7,
        )
    ]


def test_wav2vec2_forward_shapes_and_lengths(device):
    model = tiny_model().to(device)
    x = ember.randn(4, 400, device=device)
    with ember.no_grad():
        out, lengths = model(x)
        assert tuple(out.shape) == (4, 19, 5) and lengths is None
        # per conv: (n - kernel) // stride + 1, clamped at 0:
        # 400 -> 79 -> 39 -> 19, 250 -> 49 -> 24 -> 12, 20 -> 3 -> 1 -> 0, 0 -> 0
        out, lengths = model(x, ember.tensor([400, 250, 20, 0], device=device))
    assert tuple(out.shape) == (4, 19, 5)
    assert out.device.type == lengths.device.type == device
    assert lengths.tolist() == [19, 12, 0, 0]
    assert np.isfinite(out.cpu().numpy()).all()


def test_wav2vec2_padded_item_gives_the_item_alone(device):
    # layer-norm extractor: frames are normalized one by one; padded frames are zeroed and
    # masked out of attention, so the valid frames do not see the padding
    model = tiny_model(aux_num_out=None).to(device)
    x = ember.randn(2, 400, device=device)
    with ember.no_grad():
        batched, lengths = model(x, ember.tensor([400, 250], device=device))
        alone, _ = model(x[1:, :250])
    assert alone.shape[1] == lengths[1].item() == 12
    assert_close(batched[1, :12], alone[0], rtol=1e-4, atol=1e-5)


def test_wav2vec2_extract_features():
    model = tiny_model(extractor_mode="group_norm", layer_norm_first=False)
    x = ember.randn(2, 300)
    with ember.no_grad():
        features, lengths = model.extract_features(x, ember.tensor([300, 120]))
        first, _ = model.extract_features(x, num_layers=1)
    assert [tuple(f.shape) for f in features] == [(2, 14, 12)] * 2
    assert lengths.tolist() == [14, 5]
    assert len(first) == 1
    with pytest.raises(ValueError, match=r"`num_layers` must be between \[1, 2\]"):
        model.extract_features(x, num_layers=3)
    with pytest.raises(ValueError, match="2D"):
        model(x.unsqueeze(1))


def test_wav2vec2_gradients_reach_every_parameter(device):
    model = tiny_model(extractor_mode="group_norm", layer_norm_first=False).train().to(device)
    x = ember.randn(2, 300, device=device, requires_grad=True)
    out, _ = model(x, ember.tensor([300, 200], device=device))
    out.sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert missing == []
    assert all(p.grad.device.type == device for p in model.parameters())
    assert x.grad is not None and np.isfinite(x.grad.cpu().numpy()).all()


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: models.Conformer(8, 2, 16, 2, 3), ("0fbd89b89cdb864c", 66, 2384)),
        (
            lambda: models.Conformer(8, 2, 16, 2, 3, use_group_norm=True),
            ("c5b92803a126b21f", 60, 2384),
        ),
        (models.conv_tasnet_base, ("b16bc78c0d00ddd1", 343, 4_984_881)),
        (lambda: models.WaveRNN([5, 5, 8], 512, 200), ("b9f616b4faa9c9af", 147, 4_536_231)),
        (lambda: models.DeepSpeech(26), ("06fc499f9544c447", 18, 29_511_720)),
    ],
)
def test_layouts_match_torchaudio(build, expected):
    assert layout(build()) == expected


@pytest.mark.parametrize("convolution_first", [False, True])
def test_conformer_shapes_and_gradients(convolution_first, device):
    ember.manual_seed(0)
    model = models.Conformer(8, 2, 16, 2, 3, dropout=0.1, convolution_first=convolution_first)
    model = model.to(device)
    x = ember.randn(3, 7, 8, device=device, requires_grad=True)
    lengths = ember.tensor([7, 4, 1], device=device)
    out, out_lengths = model(x, lengths)
    assert tuple(out.shape) == (3, 7, 8) and out_lengths is lengths
    assert out.device.type == device
    out.sum().backward()
    assert all(p.grad is not None and p.grad.device.type == device for p in model.parameters())
    with pytest.raises(ValueError, match="must be odd"):
        models.Conformer(8, 2, 16, 1, 4)


def test_conv_tasnet_pads_to_the_stride_and_crops(device):
    ember.manual_seed(0)
    model = models.ConvTasNet(3, 8, 6, 3, 5, 7, 2, 2, "relu").eval().to(device)
    assert model.mask_generator.receptive_field == 3 + 2 * 2 + 2 * 1 + 2 * 2
    with ember.no_grad():
        out = model(ember.randn(2, 1, 61, device=device))
    assert tuple(out.shape) == (2, 3, 61) and out.device.type == device
    with pytest.raises(ValueError, match="channel==1"):
        model(ember.randn(2, 2, 61, device=device))
    with pytest.raises(ValueError, match="Unsupported activation"):
        models.ConvTasNet(msk_activate="tanh")


def test_deepspeech_log_probabilities(device):
    ember.manual_seed(0)
    model = models.DeepSpeech(6, n_hidden=10, n_class=5).eval().to(device)
    with ember.no_grad():
        out = model(ember.randn(2, 1, 7, 6, device=device))
    assert tuple(out.shape) == (2, 7, 5) and out.device.type == device
    np.testing.assert_allclose(np.exp(out.cpu().numpy()).sum(-1), 1.0, rtol=1e-5)


def test_wavernn_forward_and_infer(device):
    ember.manual_seed(0)
    kwargs = dict(n_res_block=1, n_rnn=8, n_fc=8, n_freq=6, n_hidden=4, n_output=8)
    model = models.WaveRNN([2, 3], 16, 6, **kwargs).eval().to(device)
    d = dict(device=device)
    with ember.no_grad():
        out = model(ember.rand(2, 1, 5 * 6, **d), ember.randn(2, 1, 6, 9, **d))
        waveform, lengths = model.infer(ember.randn(2, 6, 4, **d), ember.tensor([4, 3], **d))
    assert tuple(out.shape) == (2, 1, 30, 16) and out.device.type == device
    # infer pads the spectrogram by (kernel_size - 1) // 2 frames on both ends
    assert tuple(waveform.shape) == (2, 1, 4 * 6) and lengths.tolist() == [24, 18]
    assert waveform.device.type == device
    samples = waveform.cpu().numpy() * 15 / 2 + 7.5  # back to the class index: 2 k / 15 - 1
    np.testing.assert_allclose(samples, np.round(samples), atol=1e-4)
    assert samples.min() >= 0 and samples.max() <= 15
    with pytest.raises(ValueError, match="total_scale == hop_length"):
        models.WaveRNN([2, 3], 16, 5, **kwargs)


# torchaudio's models in tiny configurations, and their inputs: (build, inputs, check grads)
SMALL_MODELS = {
    "wav2letter": (
        lambda: Wav2Letter(num_classes=5, input_type="mfcc", num_features=4),
        lambda: (ember.randn(2, 4, 40),),
        False,  # 23M parameters: its convolutions are the ones the others differentiate
    ),
    "conv_tasnet": (
        lambda: models.ConvTasNet(3, 8, 6, 3, 5, 7, 2, 2, "relu"),
        lambda: (ember.randn(2, 1, 61),),
        True,
    ),
    "conv_tasnet_sigmoid": (
        lambda: models.ConvTasNet(2, 8, 6, 3, 5, 7, 2, 1),
        lambda: (ember.randn(1, 1, 40),),
        True,
    ),
    "conformer": (
        lambda: models.Conformer(8, 2, 16, 2, 3),
        lambda: (ember.randn(3, 7, 8), ember.tensor([7, 4, 1])),
        True,
    ),
    "deepspeech": (
        lambda: models.DeepSpeech(6, n_hidden=10, n_class=5),
        lambda: (ember.randn(2, 1, 7, 6),),
        True,
    ),
    "wavernn": (
        lambda: models.WaveRNN(
            [2, 3], 16, 6, n_res_block=1, n_rnn=8, n_fc=8, n_freq=6, n_hidden=4, n_output=8
        ),
        lambda: (ember.rand(2, 1, 30), ember.randn(2, 1, 6, 9)),
        True,
    ),
    "wav2vec2": (
        lambda: models.wav2vec2_model(**tiny_config()),
        lambda: (ember.randn(3, 400), ember.tensor([400, 250, 20])),
        True,
    ),
}


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_small_models_on_device_match_cpu(name, device):
    # one model, run on the CPU and then moved (in place) to the device: the same output, and
    # the same parameter gradients for a fixed weighting of the output
    build, make_inputs, check_grads = SMALL_MODELS[name]
    ember.manual_seed(0)
    model = build().eval()
    inputs = make_inputs()
    results = []
    for dev in ("cpu", device):
        model.to(dev)
        model.zero_grad(set_to_none=True)
        out = model(*[x.to(dev) for x in inputs])
        out = out[0] if isinstance(out, tuple) else out
        assert out.device.type == dev
        grads = {}
        if check_grads:
            weights = ember.linspace(-1, 1, out.numel(), device=dev).reshape(out.shape)
            (out * weights).sum().backward()
            for key, p in model.named_parameters():
                if p.grad is not None:
                    assert p.grad.device.type == dev
                    grads[key] = p.grad.cpu().numpy()
            assert grads
        results.append((out.detach().cpu().numpy(), grads))
    (out, grads), (cpu_out, cpu_grads) = results[1], results[0]
    np.testing.assert_allclose(out, cpu_out, rtol=1e-4, atol=1e-4)
    assert grads.keys() == cpu_grads.keys()
    for key, want in cpu_grads.items():
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(grads[key], want, rtol=1e-3, atol=1e-4 * scale, err_msg=key)
