"""Parity of emberaudio.models with torchaudio 2.11: each model is built in both frameworks on
a tiny configuration, torchaudio's random weights (and batch-norm statistics) are copied into
ember's through ``state_dict`` arrays, and the two must agree in eval mode on the same input:
outputs, output lengths and the input's gradient, through the harness in conftest.py."""

import numpy as np
import pytest
import torch

import ember
import emberaudio

# the parity environment may have torch without torchaudio
torchaudio = pytest.importorskip("torchaudio")

MODEL = dict(rtol=1e-4, atol=1e-5)


def twins(name, *args, **kwargs):
    """``models.<name>(*args, **kwargs)`` in torchaudio (seeded) and in ember with torchaudio's
    state dict, both in eval mode, keyed by framework name for ``parity.check``."""
    torch.manual_seed(0)
    reference = getattr(torchaudio.models, name)(*args, **kwargs)
    for buffer_name, buffer in reference.named_buffers():
        if buffer_name.endswith(("running_mean", "running_var")):
            buffer.uniform_(0.5, 1.5)  # eval-mode batch norm with statistics worth checking
    model = getattr(emberaudio.models, name)(*args, **kwargs)
    state = reference.state_dict()
    assert list(model.state_dict()) == list(state)
    model.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in state.items()})
    return {"ember": model.eval(), "torch": reference.eval()}


def wav2vec2_config(extractor_mode, layer_norm_first, aux_num_out):
    return dict(
        extractor_mode=extractor_mode,
        extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2), (8, 2, 2)],
        extractor_conv_bias=extractor_mode == "layer_norm",
        encoder_embed_dim=12,
        encoder_projection_dropout=0.1,
        encoder_pos_conv_kernel=6,
        encoder_pos_conv_groups=3,
        encoder_num_layers=2,
        encoder_num_heads=3,
        encoder_attention_dropout=0.1,
        encoder_ff_interm_features=20,
        encoder_ff_interm_dropout=0.1,
        encoder_dropout=0.1,
        encoder_layer_norm_first=layer_norm_first,
        encoder_layer_drop=0.1,
        aux_num_out=aux_num_out,
    )


@pytest.mark.parametrize(
    "mode, norm_first, aux", [("group_norm", False, 5), ("layer_norm", True, None)]
)
@pytest.mark.parametrize("lengths", [None, [400, 250, 9]])
def test_wav2vec2_model(parity, mode, norm_first, aux, lengths):
    models = twins("wav2vec2_model", **wav2vec2_config(mode, norm_first, aux))
    x = parity.randn(3, 400)
    if lengths is None:
        parity.check(lambda fw, x: models[fw.__name__](x), x, **MODEL)
        return
    lengths = np.array(lengths)
    _, out_lengths = parity.check(lambda fw, x, n: models[fw.__name__](x, n), x, lengths, **MODEL)
    # (400 - 10) // 5 + 1 = 79, (79 - 3) // 2 + 1 = 39, (39 - 2) // 2 + 1 = 19; 9 samples: 0
    assert out_lengths.tolist() == [19, 12, 0]


@pytest.mark.parametrize("num_layers", [None, 1])
def test_wav2vec2_extract_features(parity, num_layers):
    models = twins("wav2vec2_model", **wav2vec2_config("layer_norm", False, None))
    x, lengths = parity.randn(2, 300), np.array([300, 200])

    def extract(fw, x, n):
        features, out_lengths = models[fw.__name__].extract_features(x, n, num_layers)
        return (*features, out_lengths)

    outputs = parity.check(extract, x, lengths, **MODEL)
    assert len(outputs) == (3 if num_layers is None else 2)


@pytest.mark.parametrize("use_group_norm, convolution_first", [(False, False), (True, True)])
def test_conformer(parity, use_group_norm, convolution_first):
    models = twins(
        "Conformer",
        input_dim=8,
        num_heads=2,
        ffn_dim=16,
        num_layers=2,
        depthwise_conv_kernel_size=3,
        dropout=0.1,
        use_group_norm=use_group_norm,
        convolution_first=convolution_first,
    )
    x, lengths = parity.randn(3, 7, 8), np.array([7, 4, 1])
    parity.check(lambda fw, x, n: models[fw.__name__](x, n), x, lengths, **MODEL)


@pytest.mark.parametrize("frames", [64, 61])  # 61: padded to the stride, then cropped
def test_conv_tasnet(parity, frames):
    models = twins(
        "ConvTasNet",
        num_sources=2,
        enc_kernel_size=8,
        enc_num_feats=6,
        msk_kernel_size=3,
        msk_num_feats=5,
        msk_num_hidden_feats=7,
        msk_num_layers=2,
        msk_num_stacks=2,
        msk_activate="relu",
    )
    x = parity.randn(2, 1, frames)
    parity.check(lambda fw, x: models[fw.__name__](x), x, **MODEL)


def test_deepspeech(parity):
    models = twins("DeepSpeech", n_feature=6, n_hidden=10, n_class=5, dropout=0.1)
    x = parity.randn(2, 1, 7, 6)
    parity.check(lambda fw, x: models[fw.__name__](x), x, **MODEL)


def test_wavernn(parity):
    models = twins(
        "WaveRNN",
        upsample_scales=[2, 3],
        n_classes=16,
        hop_length=6,
        n_res_block=2,
        n_rnn=8,
        n_fc=8,
        kernel_size=5,
        n_freq=6,
        n_hidden=4,
        n_output=8,
    )
    specgram = parity.randn(2, 1, 6, 9)
    waveform = parity.uniform(-1.0, 1.0, 2, 1, (9 - 5 + 1) * 6)
    parity.check(lambda fw, w, s: models[fw.__name__](w, s), waveform, specgram, **MODEL)
