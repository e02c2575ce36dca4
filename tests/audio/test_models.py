"""emberaudio.models.Wav2Letter: torchaudio's layer layout (state-dict keys and shapes) and
output shapes; a constant-weight network whose output is known by hand."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from emberaudio.models import Wav2Letter


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
