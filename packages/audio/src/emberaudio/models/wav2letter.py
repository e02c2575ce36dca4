"""Wav2Letter, as torchaudio builds it."""

from __future__ import annotations

from ember import nn

__all__ = ["Wav2Letter"]


def _conv_relu(in_channels, out_channels, kernel_size, stride, padding):
    return [
        nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, padding=padding),
        nn.ReLU(inplace=True),
    ]


class Wav2Letter(nn.Module):
    """Wav2Letter model architecture from *Wav2Letter: an End-to-End ConvNet-based Speech
    Recognition System* (Collobert et al., 2016).

    ``acoustic_model`` is an ``nn.Sequential`` of eleven Conv1d + ReLU pairs (250 channels, a
    2000-channel head, then ``num_classes``); for ``input_type="waveform"`` it is preceded by a
    Conv1d(num_features, 250, kernel 250, stride 160) + ReLU front end, and the two are
    nested as ``acoustic_model.0`` and ``acoustic_model.1``, so state-dict keys match
    torchaudio's (``acoustic_model.0.0.weight``, ``acoustic_model.1.20.bias``, ...).

    Args:
        num_classes (int, optional): Number of classes to be classified. (Default: ``40``)
        input_type (str, optional): Wav2Letter can use as input: ``waveform``,
            ``power_spectrum`` or ``mfcc`` (Default: ``waveform``).
        num_features (int, optional): Number of input features that the network will receive
            (Default: ``1``).
    """

    def __init__(self, num_classes=40, input_type="waveform", num_features=1):
        super().__init__()
        acoustic_num_features = 250 if input_type == "waveform" else num_features
        acoustic_model = nn.Sequential(
            *_conv_relu(acoustic_num_features, 250, 48, stride=2, padding=23),
            *[layer for _ in range(7) for layer in _conv_relu(250, 250, 7, stride=1, padding=3)],
            *_conv_relu(250, 2000, 32, stride=1, padding=16),
            *_conv_relu(2000, 2000, 1, stride=1, padding=0),
            *_conv_relu(2000, num_classes, 1, stride=1, padding=0),
        )

        if input_type == "waveform":
            waveform_model = nn.Sequential(
                *_conv_relu(num_features, 250, 250, stride=160, padding=45)
            )
            self.acoustic_model = nn.Sequential(waveform_model, acoustic_model)

        if input_type in ["power_spectrum", "mfcc"]:
            self.acoustic_model = acoustic_model

    def forward(self, x):
        """
        Args:
            x (Tensor): Tensor of dimension (batch_size, num_features, input_length).

        Returns:
            Tensor: Predictor tensor of dimension (batch_size, number_of_classes,
            input_length), log-probabilities over the classes (dim 1).
        """
        x = self.acoustic_model(x)
        return nn.functional.log_softmax(x, dim=1)
