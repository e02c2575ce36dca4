"""SquimSubjective: the mean opinion score (MOS) of speech predicted against a non-matching
clean reference, from the features of a self-supervised model (after NORESQA-MOS)."""

from __future__ import annotations

import ember
from ember import nn

from .. import wav2vec2


class AttPool(nn.Module):
    """Attention-Pooling module that estimates the attention score.

    Args:
        input_dim (int): Input feature dimension.
        att_dim (int): Attention Tensor dimension.
    """

    def __init__(self, input_dim, att_dim):
        super().__init__()
        self.linear1 = nn.Linear(input_dim, 1)
        self.linear2 = nn.Linear(input_dim, att_dim)

    def forward(self, x):
        """Apply attention and pooling.

        Args:
            x (Tensor): Input Tensor with dimensions `(batch, time, feature_dim)`.

        Returns:
            (Tensor): Attention score with dimensions `(batch, att_dim)`.
        """
        att = self.linear1(x).transpose(2, 1)  # (batch, 1, time)
        att = nn.functional.softmax(att, dim=2)
        x = ember.matmul(att, x).squeeze(1)  # (batch, input_dim)
        return self.linear2(x)


class Predictor(nn.Module):
    """Prediction module that apply pooling and attention, then predict subjective metric
    scores.

    Args:
        input_dim (int): Input feature dimension.
        att_dim (int): Attention Tensor dimension.
    """

    def __init__(self, input_dim, att_dim):
        super().__init__()
        self.att_pool_layer = AttPool(input_dim, att_dim)
        self.att_dim = att_dim

    def forward(self, x):
        """Predict subjective evaluation metric score.

        Args:
            x (Tensor): Input Tensor with dimensions `(batch, time, feature_dim)`.

        Returns:
            (Tensor): Subjective metric score. Tensor with dimensions `(batch,)`.
        """
        x = nn.functional.softmax(self.att_pool_layer(x), dim=1)
        B = ember.linspace(0, 4, steps=self.att_dim, device=x.device)
        return (x * B).sum(dim=1)


class SquimSubjective(nn.Module):
    """Speech Quality and Intelligibility Measures (SQUIM) model that predicts **subjective**
    metric scores for speech enhancement (e.g., Mean Opinion Score (MOS)). The model is
    adopted from *NORESQA-MOS* (Manocha et al., 2022) which predicts MOS scores given the
    input speech and a non-matching reference.

    Args:
        ssl_model (nn.Module): The self-supervised learning model for feature extraction.
        projector (nn.Module): Projection layer that projects SSL feature to a lower
            dimension.
        predictor (nn.Module): Predict the subjective scores.
    """

    def __init__(self, ssl_model, projector, predictor):
        super().__init__()
        self.ssl_model = ssl_model
        self.projector = projector
        self.predictor = predictor

    def _align_shapes(self, waveform, reference):
        """Cut or pad (by repeating it) the reference Tensor to make it aligned with
        waveform Tensor.

        Args:
            waveform (Tensor): Input waveform for evaluation. Tensor with dimensions
                `(batch, time)`.
            reference (Tensor): Non-matching clean reference. Tensor with dimensions
                `(batch, time_ref)`.

        Returns:
            (Tensor, Tensor): The aligned waveform and reference Tensors with same dimensions
            `(batch, time)`.
        """
        T_waveform = waveform.shape[-1]
        T_reference = reference.shape[-1]
        if T_reference < T_waveform:
            num_padding = T_waveform // T_reference + 1
            reference = reference.repeat(1, num_padding)
        return waveform, reference[:, :T_waveform]

    def forward(self, waveform, reference):
        """Predict subjective evaluation metric score.

        Args:
            waveform (Tensor): Input waveform for evaluation. Tensor with dimensions
                `(batch, time)`.
            reference (Tensor): Non-matching clean reference. Tensor with dimensions
                `(batch, time_ref)`.

        Returns:
            (Tensor): Subjective metric score. Tensor with dimensions `(batch,)`.
        """
        waveform, reference = self._align_shapes(waveform, reference)
        waveform = self.projector(self.ssl_model.extract_features(waveform)[0][-1])
        reference = self.projector(self.ssl_model.extract_features(reference)[0][-1])
        concat = ember.cat((reference, waveform), dim=2)
        score_diff = self.predictor(concat)  # Score difference compared to the reference
        return 5 - score_diff


def squim_subjective_model(ssl_type, feat_dim, proj_dim, att_dim):
    """Build a custome :class:`SquimSubjective` model.

    Args:
        ssl_type (str): Type of self-supervised learning (SSL) models.
            Must be one of ["wav2vec2_base", "wav2vec2_large"].
        feat_dim (int): Feature dimension of the SSL feature representation.
        proj_dim (int): Output dimension of projection layer.
        att_dim (int): Dimension of attention scores.
    """
    ssl_model = getattr(wav2vec2, ssl_type)()
    projector = nn.Linear(feat_dim, proj_dim)
    predictor = Predictor(proj_dim * 2, att_dim)
    return SquimSubjective(ssl_model, projector, predictor)


def squim_subjective_base():
    """Build :class:`SquimSubjective` model with default arguments."""
    return squim_subjective_model(ssl_type="wav2vec2_base", feat_dim=768, proj_dim=32, att_dim=5)
