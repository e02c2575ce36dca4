"""Pretrained streaming ASR: an Emformer RNN-T on LibriSpeech, with its features and tokens."""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import ember
from ember import nn

from ..transforms import MelSpectrogram
from ._utils import _build, _download_asset, _load_asset, _model

# int16 full scale in decibels, twice: the features are scaled by its gain before the log
_decibel = 2 * 20 * math.log10(32767)
_gain = pow(10, 0.05 * _decibel)


def _piecewise_linear_log(x):
    # In place and in this order, as torchaudio: the second mask is taken after the first
    # update, so values in (e, e**e] are logged and then divided by e too.
    x[x > math.e] = ember.log(x[x > math.e])
    x[x <= math.e] = x[x <= math.e] / math.e
    return x


class _FunctionalModule(nn.Module):
    def __init__(self, functional):
        super().__init__()
        self.functional = functional

    def forward(self, input):
        return self.functional(input)


class _GlobalStatsNormalization(nn.Module):
    def __init__(self, global_stats_path):
        super().__init__()

        with open(global_stats_path) as f:
            blob = json.loads(f.read())

        self.register_buffer("mean", ember.tensor(blob["mean"]))
        self.register_buffer("invstddev", ember.tensor(blob["invstddev"]))

    def forward(self, input):
        return (input - self.mean) * self.invstddev


class _FeatureExtractor(ABC):
    @abstractmethod
    def __call__(self, input):
        """Generates features and length output from the given input tensor.

        Args:
            input (Tensor): input tensor.

        Returns:
            (Tensor, Tensor):
            Tensor:
                Features, with shape `(length, *)`.
            Tensor:
                Length, with shape `(1,)`.
        """


class _TokenProcessor(ABC):
    @abstractmethod
    def __call__(self, tokens, **kwargs):
        """Decodes given list of tokens to text sequence.

        Args:
            tokens (List[int]): list of tokens to decode.

        Returns:
            str:
                Decoded text sequence.
        """


class _ModuleFeatureExtractor(nn.Module, _FeatureExtractor):
    """``ember.nn.Module``-based feature extraction pipeline.

    Args:
        pipeline (ember.nn.Module): module that implements feature extraction logic.
    """

    def __init__(self, pipeline):
        super().__init__()
        self.pipeline = pipeline

    def forward(self, input):
        """Generates features and length output from the given input tensor.

        Args:
            input (Tensor): input tensor.

        Returns:
            (Tensor, Tensor):
            Tensor:
                Features, with shape `(length, *)`.
            Tensor:
                Length, with shape `(1,)`.
        """
        features = self.pipeline(input)
        length = ember.tensor([features.shape[0]])
        return features, length


class _SentencePieceTokenProcessor(_TokenProcessor):
    """SentencePiece-model-based token processor.

    Args:
        sp_model_path (str): path to SentencePiece model.
    """

    def __init__(self, sp_model_path):
        try:  # (the emberaudio[sentencepiece] extra, imported only here)
            import sentencepiece as spm
        except ImportError:
            raise RuntimeError("SentencePiece is not available. Please install it.") from None

        self.sp_model = spm.SentencePieceProcessor(model_file=sp_model_path)
        self.post_process_remove_list = {
            self.sp_model.unk_id(),
            self.sp_model.eos_id(),
            self.sp_model.pad_id(),
        }

    def __call__(self, tokens, lstrip=True):
        """Decodes given list of tokens to text sequence.

        Args:
            tokens (List[int]): list of tokens to decode.
            lstrip (bool, optional): if ``True``, returns text sequence with leading whitespace
                removed. (Default: ``True``).

        Returns:
            str:
                Decoded text sequence.
        """
        filtered_hypo_tokens = [
            token_index
            for token_index in tokens[1:]
            if token_index not in self.post_process_remove_list
        ]
        output_string = "".join(self.sp_model.id_to_piece(filtered_hypo_tokens)).replace(
            "\u2581", " "
        )
        return output_string.lstrip() if lstrip else output_string


@dataclass
class RNNTBundle:
    """Dataclass that bundles components for performing automatic speech recognition (ASR,
    speech-to-text) inference with an RNN-T model.

    More specifically, the class provides methods that produce the featurization pipeline,
    decoder wrapping the specified RNN-T model, and output token post-processor that together
    constitute a complete end-to-end ASR inference pipeline that produces a text sequence
    given a raw waveform. It can support non-streaming (full-context) inference as well as
    streaming inference.

    Users should not directly instantiate objects of this class; rather, users should use the
    instances (representing pre-trained models) that exist within the module, e.g.
    :data:`emberaudio.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH`.

    Examples:
        >>> from emberaudio.pipelines import EMFORMER_RNNT_BASE_LIBRISPEECH as bundle
        >>> feature_extractor = bundle.get_feature_extractor()
        >>> decoder = bundle.get_decoder()
        >>> token_processor = bundle.get_token_processor()  # needs sentencepiece
        >>> with ember.no_grad():
        ...     features, length = feature_extractor(waveform)
        ...     hypotheses = decoder(features, length, 10)
        >>> text = token_processor(hypotheses[0][0])
    """

    class FeatureExtractor(_FeatureExtractor):
        """Interface of the feature extraction part of RNN-T pipeline"""

    class TokenProcessor(_TokenProcessor):
        """Interface of the token processor part of RNN-T pipeline"""

    _rnnt_path: str
    _rnnt_factory_func: Callable
    _global_stats_path: str
    _sp_model_path: str
    _right_padding: int
    _blank: int
    _sample_rate: int
    _n_fft: int
    _n_mels: int
    _hop_length: int
    _segment_length: int
    _right_context_length: int

    def _get_model(self):
        model = self._rnnt_factory_func()
        model.load_state_dict(_load_asset(self._rnnt_path))
        model.eval()
        return model

    @property
    def sample_rate(self):
        """Sample rate (in cycles per second) of input waveforms.

        :type: int
        """
        return self._sample_rate

    @property
    def n_fft(self):
        """Size of FFT window to use.

        :type: int
        """
        return self._n_fft

    @property
    def n_mels(self):
        """Number of mel spectrogram features to extract from input waveforms.

        :type: int
        """
        return self._n_mels

    @property
    def hop_length(self):
        """Number of samples between successive frames in input expected by model.

        :type: int
        """
        return self._hop_length

    @property
    def segment_length(self):
        """Number of frames in segment in input expected by model.

        :type: int
        """
        return self._segment_length

    @property
    def right_context_length(self):
        """Number of frames in right contextual block in input expected by model.

        :type: int
        """
        return self._right_context_length

    def get_decoder(self):
        """Constructs RNN-T decoder.

        Returns:
            RNNTBeamSearch
        """
        model = self._get_model()
        return _model("RNNTBeamSearch")(model, self._blank)

    def _feature_pipeline(self):
        """Mel spectrogram, time first, gain and piecewise log, global normalization."""
        local_path = _download_asset(self._global_stats_path)
        return [
            MelSpectrogram(
                sample_rate=self.sample_rate,
                n_fft=self.n_fft,
                n_mels=self.n_mels,
                hop_length=self.hop_length,
            ),
            _FunctionalModule(lambda x: x.transpose(1, 0)),
            _FunctionalModule(lambda x: _piecewise_linear_log(x * _gain)),
            _GlobalStatsNormalization(local_path),
        ]

    def get_feature_extractor(self):
        """Constructs feature extractor for non-streaming (full-context) ASR.

        Returns:
            FeatureExtractor
        """
        pad = _FunctionalModule(lambda x: nn.functional.pad(x, (0, 0, 0, self._right_padding)))
        return _ModuleFeatureExtractor(nn.Sequential(*self._feature_pipeline(), pad))

    def get_streaming_feature_extractor(self):
        """Constructs feature extractor for streaming (simultaneous) ASR.

        Returns:
            FeatureExtractor
        """
        return _ModuleFeatureExtractor(nn.Sequential(*self._feature_pipeline()))

    def get_token_processor(self):
        """Constructs token processor.

        Returns:
            TokenProcessor
        """
        return _SentencePieceTokenProcessor(_download_asset(self._sp_model_path))


EMFORMER_RNNT_BASE_LIBRISPEECH = RNNTBundle(
    _rnnt_path="models/emformer_rnnt_base_librispeech.pt",
    _rnnt_factory_func=partial(_build, "emformer_rnnt_base", num_symbols=4097),
    _global_stats_path="pipeline-assets/global_stats_rnnt_librispeech.json",
    _sp_model_path="pipeline-assets/spm_bpe_4096_librispeech.model",
    _right_padding=4,
    _blank=4096,
    _sample_rate=16000,
    _n_fft=400,
    _n_mels=80,
    _hop_length=160,
    _segment_length=16,
    _right_context_length=4,
)
EMFORMER_RNNT_BASE_LIBRISPEECH.__doc__ = """ASR pipeline based on Emformer-RNNT, pretrained on
*LibriSpeech* dataset, capable of performing both streaming and non-streaming inference.

The underlying model is constructed by :py:func:`emberaudio.models.emformer_rnnt_base` and
utilizes weights trained on LibriSpeech using training script ``train.py``
`here <https://github.com/pytorch/audio/tree/main/examples/asr/emformer_rnnt>`__ with default
arguments.

Please refer to :py:class:`RNNTBundle` for usage instructions.
"""
