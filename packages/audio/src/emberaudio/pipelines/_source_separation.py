"""Pretrained source separation: ConvTasNet on Libri2Mix, Hybrid Demucs on MUSDB-HQ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ._utils import _build, _load_asset


@dataclass
class SourceSeparationBundle:
    """Dataclass that bundles components for performing source separation.

    Example
        >>> from emberaudio.pipelines import CONVTASNET_BASE_LIBRI2MIX
        >>> model = CONVTASNET_BASE_LIBRI2MIX.get_model()
        >>> dataset = emberaudio.datasets.LibriMix("/home/datasets/", subset="test")
        >>> sample_rate, mixture, clean_sources = dataset[0]
        >>> estimated_sources = model(mixture.reshape(1, 1, -1))
    """

    _model_path: str
    _model_factory_func: Callable
    _sample_rate: int

    @property
    def sample_rate(self):
        """Sample rate of the audio that the model is trained on.

        :type: int
        """
        return self._sample_rate

    def get_model(self):
        """Construct the model and load the pretrained weight.

        The weight file is fetched from ``https://download.pytorch.org/torchaudio/`` into
        ``<hub dir>/torchaudio/``; without network access this fails at once, naming the file
        and that folder.
        """
        model = self._model_factory_func()
        model.load_state_dict(_load_asset(self._model_path))
        model.eval()
        return model


CONVTASNET_BASE_LIBRI2MIX = SourceSeparationBundle(
    _model_path="models/conv_tasnet_base_libri2mix.pt",
    _model_factory_func=partial(_build, "conv_tasnet_base", num_sources=2),
    _sample_rate=8000,
)
CONVTASNET_BASE_LIBRI2MIX.__doc__ = """Pre-trained Source Separation pipeline with *ConvTasNet*
(Luo and Mesgarani, 2019) trained on *Libri2Mix dataset* (Cosentino et al., 2020).

The source separation model is constructed by :func:`~emberaudio.models.conv_tasnet_base`.

Please refer to :class:`SourceSeparationBundle` for usage instructions.
"""

HDEMUCS_HIGH_MUSDB_PLUS = SourceSeparationBundle(
    _model_path="models/hdemucs_high_trained.pt",
    _model_factory_func=partial(
        _build, "hdemucs_high", sources=["drums", "bass", "other", "vocals"]
    ),
    _sample_rate=44100,
)
HDEMUCS_HIGH_MUSDB_PLUS.__doc__ = """Pre-trained music source separation pipeline with *Hybrid
Demucs* (Défossez, 2021) trained on both training and test sets of MUSDB-HQ and an additional
150 extra songs from an internal database that was specifically produced for Meta.

The model is constructed by :func:`~emberaudio.models.hdemucs_high`.

Please refer to :class:`SourceSeparationBundle` for usage instructions.
"""

HDEMUCS_HIGH_MUSDB = SourceSeparationBundle(
    _model_path="models/hdemucs_high_musdbhq_only.pt",
    _model_factory_func=partial(
        _build, "hdemucs_high", sources=["drums", "bass", "other", "vocals"]
    ),
    _sample_rate=44100,
)
HDEMUCS_HIGH_MUSDB.__doc__ = """Pre-trained music source separation pipeline with *Hybrid
Demucs* (Défossez, 2021) trained on the training set of MUSDB-HQ.

The model is constructed by :func:`~emberaudio.models.hdemucs_high`.

Please refer to :class:`SourceSeparationBundle` for usage instructions.
"""
