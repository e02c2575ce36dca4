"""Pretrained wav2vec 2.0, HuBERT, WavLM and XLS-R bundles, and the MMS forced aligner."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import ember
from ember import nn

from .. import functional as F
from ._utils import _load_state_dict_from_url, _model

# -------------------------------------------------------------------------------------- model

_FACTORIES = {"Wav2Vec2": "wav2vec2_model", "WavLM": "wavlm_model"}


def _get_factory(type_):
    if type_ not in _FACTORIES:
        raise ValueError(f"Supported model types are {tuple(_FACTORIES)}. Found: {type_}")
    return _model(_FACTORIES[type_])


class _Wav2Vec2Model(nn.Module):
    """Wrapper class for :py:class:`~emberaudio.models.Wav2Vec2Model`.

    It layer-normalizes the input (over the whole batch, as torchaudio does) and, for forced
    alignment, returns log-probabilities with an extra all-zero ``star`` column.
    """

    def __init__(self, model, normalize_waveform, apply_log_softmax, append_star):
        super().__init__()
        self.model = model
        self.normalize_waveform = normalize_waveform
        self.apply_log_softmax = apply_log_softmax
        self.append_star = append_star

    def forward(self, waveforms, lengths=None):
        if self.normalize_waveform:
            waveforms = nn.functional.layer_norm(waveforms, waveforms.shape)
        output, output_lengths = self.model(waveforms, lengths)
        if self.apply_log_softmax:
            output = nn.functional.log_softmax(output, dim=-1)
        if self.append_star:
            # torchaudio's shape: one item, so only a batch of one can take the star column
            star_dim = ember.zeros((1, output.size(1), 1), dtype=output.dtype, device=output.device)
            output = ember.cat((output, star_dim), dim=-1)
        return output, output_lengths

    def extract_features(self, waveforms, lengths=None, num_layers=None):
        if self.normalize_waveform:
            waveforms = nn.functional.layer_norm(waveforms, waveforms.shape)
        return self.model.extract_features(waveforms, lengths, num_layers)


def _extend_model(module, normalize_waveform, apply_log_softmax=False, append_star=False):
    """Add extra transformations to the model"""
    return _Wav2Vec2Model(module, normalize_waveform, apply_log_softmax, append_star)


def _remove_aux_axes(state_dict, axes):
    # fairseq's ASR checkpoints have output classes 1, 2 and 3 for its NLP dictionary's special
    # tokens, never trained; some VoxPopuli ones have one more, all but unused (a label seen
    # once in millions). torchaudio's models leave them out.
    for key in ["aux.weight", "aux.bias"]:
        mat = state_dict[key]
        state_dict[key] = mat[[i for i in range(mat.size(0)) if i not in axes]]


def _get_state_dict(url, dl_kwargs, remove_axes=None):
    if not url.startswith("https"):
        url = f"https://download.pytorch.org/torchaudio/models/{url}"
    state_dict = _load_state_dict_from_url(url, dl_kwargs)
    if remove_axes:
        _remove_aux_axes(state_dict, remove_axes)
    return state_dict


# ------------------------------------------------------------------------------------ bundles


@dataclass
class Wav2Vec2Bundle:
    """Data class that bundles associated information to use pretrained
    :py:class:`~emberaudio.models.Wav2Vec2Model`.

    This class provides interfaces for instantiating the pretrained model along with the
    information necessary to retrieve pretrained weights and additional data to be used with
    the model. Emberaudio instantiates objects of this class, each of which represents a
    different pretrained model (torchaudio's checkpoints, read by :func:`ember.load`).

    Example - Feature Extraction
        >>> bundle = emberaudio.pipelines.HUBERT_BASE
        >>> model = bundle.get_model()  # builds the model and loads the pretrained weight
        >>> waveform = emberaudio.functional.resample(waveform, sample_rate, bundle.sample_rate)
        >>> features, _ = model.extract_features(waveform)
    """

    _path: str
    _params: dict[str, Any]
    _sample_rate: float
    _normalize_waveform: bool
    _model_type: str

    @property
    def sample_rate(self):
        """Sample rate of the audio that the model is trained on.

        :type: float
        """
        return self._sample_rate

    def _get_state_dict(self, dl_kwargs):
        return _get_state_dict(self._path, dl_kwargs)

    def get_model(self, *, dl_kwargs=None):
        """Construct the model and load the pretrained weight.

        The weight file is downloaded from the internet and cached with
        :func:`ember.hub.load_state_dict_from_url`; without network access this fails at once,
        naming the URL and the folder (the hub's ``checkpoints``) to put the file in.

        Args:
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`.

        Returns:
            Variation of :py:class:`~emberaudio.models.Wav2Vec2Model`.

            For the models listed below, an additional layer normalization is performed on the
            input: WAV2VEC2_LARGE_LV60K, WAV2VEC2_ASR_LARGE_LV60K_10M,
            WAV2VEC2_ASR_LARGE_LV60K_100H, WAV2VEC2_ASR_LARGE_LV60K_960H, WAV2VEC2_XLSR53,
            WAV2VEC2_XLSR_300M, WAV2VEC2_XLSR_1B, WAV2VEC2_XLSR_2B, HUBERT_LARGE, HUBERT_XLARGE,
            HUBERT_ASR_LARGE, HUBERT_ASR_XLARGE, WAVLM_LARGE.

            For all other models, a :py:class:`~emberaudio.models.Wav2Vec2Model` instance is
            returned.
        """
        # the factory is looked up and the weights fetched before the (large) model is built,
        # so a missing model or a missing checkpoint fails at once
        factory = _get_factory(self._model_type)
        state_dict = self._get_state_dict(dl_kwargs)
        model = factory(**self._params)
        model.load_state_dict(state_dict)
        if self._normalize_waveform:
            model = _extend_model(model, normalize_waveform=True)
        model.eval()
        return model


@dataclass
class Wav2Vec2ASRBundle(Wav2Vec2Bundle):
    """Data class that bundles associated information to use pretrained
    :py:class:`~emberaudio.models.Wav2Vec2Model` fine-tuned for ASR.

    Example - ASR
        >>> bundle = emberaudio.pipelines.HUBERT_ASR_LARGE
        >>> model = bundle.get_model()
        >>> labels = bundle.get_labels()  # ('-', '|', 'E', 'T', 'A', 'O', ...)
        >>> waveform = emberaudio.functional.resample(waveform, sample_rate, bundle.sample_rate)
        >>> emissions, _ = model(waveform)  # the label probability distribution (logits)
    """

    _labels: tuple[str, ...]
    _remove_aux_axis: tuple[int, ...] = (1, 2, 3)

    def get_labels(self, *, blank="-"):
        """The output class labels.

        The first is blank token, and it is customizable.

        Args:
            blank (str, optional): Blank token. (default: ``'-'``)

        Returns:
            Tuple[str, ...]: For models fine-tuned on ASR, returns the tuple of strings
            representing the output class labels.

        Example
            >>> from emberaudio.pipelines import HUBERT_ASR_LARGE as bundle
            >>> bundle.get_labels()
            ('-', '|', 'E', 'T', 'A', 'O', 'N', 'I', 'H', 'S', 'R', 'D', 'L', 'U', 'M', 'W', 'C', 'F', 'G', 'Y', 'P', 'B', 'V', 'K', "'", 'X', 'J', 'Q', 'Z')
        """
        return (blank, *self._labels)

    def _get_state_dict(self, dl_kwargs):
        return _get_state_dict(self._path, dl_kwargs, self._remove_aux_axis)


# ---------------------------------------------------------------------------- forced alignment


class _ITokenizer(ABC):
    @abstractmethod
    def __call__(self, transcript):
        """Tokenize the given transcript (list of word)

        .. note::

           The transcript must be normalized.

        Args:
            transcript (list of str): Transcript (list of word).

        Returns:
            (list of int): List of token sequences
        """


class _Tokenizer(_ITokenizer):
    def __init__(self, dictionary):
        self.dictionary = dictionary

    def __call__(self, transcript):
        return [[self.dictionary[c] for c in word] for word in transcript]


class _IAligner(ABC):
    @abstractmethod
    def __call__(self, emission, tokens):
        """Generate list of time-stamped token sequences

        Args:
            emission (Tensor): Sequence of token probability distributions in log-domain.
                Shape: `(time, tokens)`.
            tokens (list of integer sequence): Tokenized transcript.
                Output from :py:class:`emberaudio.pipelines.Wav2Vec2FABundle.Tokenizer`.

        Returns:
            (list of TokenSpan sequence): Tokens with time stamps and scores.
        """


class _Aligner(_IAligner):
    def __init__(self, blank):
        self.blank = blank

    def __call__(self, emission, tokens):
        if emission.ndim != 2:
            raise ValueError(f"The input emission must be 2D. Found: {emission.shape}")

        flat = [token for word in tokens for token in word]
        targets = ember.tensor([flat], dtype=ember.int32, device=emission.device)
        aligned_tokens, scores = F.forced_align(emission.unsqueeze(0), targets, blank=self.blank)
        scores = scores.exp()  # back to probability
        spans = F.merge_tokens(aligned_tokens[0], scores[0])
        words, start = [], 0
        for word in tokens:
            words.append(spans[start : start + len(word)])
            start += len(word)
        return words


@dataclass
class Wav2Vec2FABundle(Wav2Vec2ASRBundle):
    """Data class that bundles associated information to use pretrained
    :py:class:`~emberaudio.models.Wav2Vec2Model` for forced alignment.

    Example - Forced alignment
        >>> bundle = emberaudio.pipelines.MMS_FA
        >>> model = bundle.get_model()
        >>> waveform = emberaudio.functional.resample(waveform, sample_rate, bundle.sample_rate)
        >>> emission, _ = model(waveform)  # log-probabilities of the tokens
        >>> alignment, scores = emberaudio.functional.forced_align(
        ...     emission, targets, input_lengths, target_lengths, blank=0)
    """

    class Tokenizer(_ITokenizer):
        """Interface of the tokenizer"""

    class Aligner(_IAligner):
        """Interface of the aligner"""

    def get_labels(self, star="*", blank="-"):
        """Get the labels corresponding to the feature dimension of emission.

        The first is blank token, and it is customizable.

        Args:
            star (str or None, optional): Change or disable star token. (default: ``"*"``)
            blank (str, optional): Change the blank token. (default: ``'-'``)

        Returns:
            Tuple[str, ...]: For models fine-tuned on ASR, returns the tuple of strings
            representing the output class labels.

        Example
            >>> from emberaudio.pipelines import MMS_FA as bundle
            >>> bundle.get_labels()
            ('-', 'a', 'i', 'e', 'n', 'o', 'u', 't', 's', 'r', 'm', 'k', 'l', 'd', 'g', 'h', 'y', 'b', 'p', 'w', 'c', 'v', 'j', 'z', 'f', "'", 'q', 'x', '*')
            >>> bundle.get_labels(star=None)
            ('-', 'a', 'i', 'e', 'n', 'o', 'u', 't', 's', 'r', 'm', 'k', 'l', 'd', 'g', 'h', 'y', 'b', 'p', 'w', 'c', 'v', 'j', 'z', 'f', "'", 'q', 'x')
        """
        labels = super().get_labels(blank=blank)
        return labels if star is None else (*labels, star)

    def get_model(self, with_star=True, *, dl_kwargs=None):
        """Construct the model and load the pretrained weight.

        The weight file is downloaded from the internet and cached with
        :func:`ember.hub.load_state_dict_from_url`.

        Args:
            with_star (bool, optional): If enabled, the last dimension of output layer is
                extended by one, which corresponds to `star` token.
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`.

        Returns:
            Variation of :py:class:`~emberaudio.models.Wav2Vec2Model`.

            The model created with this method returns probability in log-domain
            (i.e. :py:func:`ember.nn.functional.log_softmax` is applied), whereas the
            other Wav2Vec2 models returns logit.
        """
        factory = _get_factory(self._model_type)
        state_dict = self._get_state_dict(dl_kwargs)
        model = factory(**self._params)
        model.load_state_dict(state_dict)
        model = _extend_model(
            model,
            normalize_waveform=self._normalize_waveform,
            apply_log_softmax=True,
            append_star=with_star,
        )
        model.eval()
        return model

    def get_dict(self, star="*", blank="-"):
        """Get the mapping from token to index (in emission feature dim)

        Args:
            star (str or None, optional): Change or disable star token. (default: ``"*"``)
            blank (str, optional): Change the blank token. (default: ``'-'``)

        Returns:
            Dict[str, int]: The index of each label.

        Example
            >>> from emberaudio.pipelines import MMS_FA as bundle
            >>> bundle.get_dict()
            {'-': 0, 'a': 1, 'i': 2, 'e': 3, 'n': 4, 'o': 5, 'u': 6, 't': 7, 's': 8, 'r': 9, 'm': 10, 'k': 11, 'l': 12, 'd': 13, 'g': 14, 'h': 15, 'y': 16, 'b': 17, 'p': 18, 'w': 19, 'c': 20, 'v': 21, 'j': 22, 'z': 23, 'f': 24, "'": 25, 'q': 26, 'x': 27, '*': 28}
        """
        return {k: i for i, k in enumerate(self.get_labels(star=star, blank=blank))}

    def get_tokenizer(self):
        """Instantiate a Tokenizer.

        Returns:
            Tokenizer
        """
        return _Tokenizer(self.get_dict())

    def get_aligner(self):
        """Instantiate an Aligner.

        Returns:
            Aligner
        """
        return _Aligner(blank=0)


# ----------------------------------------------------------------------- parameters and labels

_EN_LABELS = tuple("|ETAONIHSRDLUMWCFGYPBVK'XJQZ")
_DE_LABELS = tuple("|enirstadhulgcmobwfkzpvüäöjßyxq")
_VP_EN_LABELS = tuple("|etoiansrhldcumpfgwybvkxjqz")
_ES_LABELS = tuple("|eaosnrildctupmbqygvhófíájzñéxúkwü")
_FR_LABELS = tuple("|esnitraouldcpmévqfgbhxàjèyêzôkçœûùîâwïëüæ")
_IT_LABELS = tuple("|eiaontrlscdupmgvhzfbqàèùéòìkyxwjóíï")
_MMS_LABELS = tuple("aienoutsrmkldghybpwcvjzf'qx")

# The "base" architecture; every bundle's parameters are these with a few changes.
_BASE = {
    "extractor_mode": "group_norm",
    "extractor_conv_layer_config": [
        (512, 10, 5),
        (512, 3, 2),
        (512, 3, 2),
        (512, 3, 2),
        (512, 3, 2),
        (512, 2, 2),
        (512, 2, 2),
    ],
    "extractor_conv_bias": False,
    "encoder_embed_dim": 768,
    "encoder_projection_dropout": 0.1,
    "encoder_pos_conv_kernel": 128,
    "encoder_pos_conv_groups": 16,
    "encoder_num_layers": 12,
    "encoder_num_heads": 12,
    "encoder_attention_dropout": 0.1,
    "encoder_ff_interm_features": 3072,
    "encoder_ff_interm_dropout": 0.0,
    "encoder_dropout": 0.1,
    "encoder_layer_norm_first": False,
    "encoder_layer_drop": 0.05,
    "aux_num_out": None,
}
_LARGE = {
    "encoder_embed_dim": 1024,
    "encoder_num_layers": 24,
    "encoder_num_heads": 16,
    "encoder_ff_interm_features": 4096,
}
_XLARGE = {
    "encoder_embed_dim": 1280,
    "encoder_num_layers": 48,
    "encoder_num_heads": 16,
    "encoder_ff_interm_features": 5120,
}
# the large models trained on LibriSpeech 960 h, with post-norm transformer layers
_LS960 = {"encoder_dropout": 0.0, "encoder_layer_drop": 0.2}
# the pre-norm (layer norm first) models: LibriLight 60k h, XLS-R, large HuBERT and WavLM
_PRE_NORM = {"extractor_mode": "layer_norm", "encoder_layer_norm_first": True}
_NO_DROPOUT = {"encoder_dropout": 0.0, "encoder_layer_drop": 0.0}
_NO_ATTENTION_DROPOUT = {"encoder_projection_dropout": 0.0, "encoder_attention_dropout": 0.0}
_LV60K = {**_LARGE, **_PRE_NORM, **_NO_DROPOUT, "extractor_conv_bias": True}
_XLSR = {**_LV60K, **_NO_ATTENTION_DROPOUT}
_HUBERT_LARGE = {**_LARGE, **_PRE_NORM, **_NO_DROPOUT, **_NO_ATTENTION_DROPOUT}
_HUBERT_XLARGE = {**_XLARGE, **_PRE_NORM, **_NO_DROPOUT, **_NO_ATTENTION_DROPOUT}
_HUBERT_ASR = {"encoder_ff_interm_dropout": 0.1, "encoder_layer_drop": 0.1}
_VOXPOPULI = {**_NO_ATTENTION_DROPOUT, **_HUBERT_ASR, "encoder_dropout": 0.0}
_WAVLM = {"encoder_max_distance": 800, "encoder_num_buckets": 320}


def _params(*changes, **more):
    """The base parameters updated with each dict of ``changes``, then with ``more``."""
    params = copy.deepcopy(_BASE)  # each bundle its own list of convolution layers
    for change in changes:
        params.update(change)
    params.update(more)
    return params


# ------------------------------------------------------------------------------ the bundles


def _bundle(cls, doc, path, params, normalize_waveform, model_type="Wav2Vec2", **fields):
    bundle = cls(
        _path=path,
        _params=params,
        _sample_rate=16000,
        _normalize_waveform=normalize_waveform,
        _model_type=model_type,
        **fields,
    )
    bundle.__doc__ = f"""{doc}

Please refer to :py:class:`emberaudio.pipelines.{cls.__name__}` for the usage.
"""
    return bundle


def _asr(doc, path, params, normalize_waveform, labels=_EN_LABELS, **fields):
    return _bundle(
        Wav2Vec2ASRBundle, doc, path, params, normalize_waveform, _labels=labels, **fields
    )


_LS960_DATA = (
    "pre-trained on 960 hours of unlabeled audio from *LibriSpeech* (the combination of\n"
    '"train-clean-100", "train-clean-360", and "train-other-500")'
)
_LL60K_DATA = "pre-trained on 60,000 hours of unlabeled audio from *Libri-Light*"
_XLSR_DATA = (
    "pre-trained on 436,000 hours of unlabeled audio from multiple datasets (*Multilingual\n"
    "LibriSpeech*, *CommonVoice*, *VoxLingua107*, *BABEL*, and *VoxPopuli*) in 128 languages,\n"
    "not fine-tuned."
)
_MIXED_DATA = (
    "pre-trained on 60,000 hours of Libri-Light, 10,000 hours of GigaSpeech and 24,000 hours\n"
    "of *VoxPopuli*, not fine-tuned."
)
_VP_DATA = (
    'pre-trained on 10k hours of unlabeled audio from *VoxPopuli* ("10k" subset, consisting\n'
    "of 23 languages), and fine-tuned for ASR on"
)
_10M = 'fine-tuned for ASR on 10 minutes of transcribed audio from *Libri-Light* ("train-10min" subset).'
_100H = 'fine-tuned for ASR on 100 hours of transcribed audio from "train-clean-100" subset.'
_960H = "fine-tuned for ASR on 960 hours of transcribed audio from *LibriSpeech*."

WAV2VEC2_BASE = _bundle(
    Wav2Vec2Bundle,
    f'Wav2vec 2.0 model ("base" architecture), {_LS960_DATA}, not fine-tuned.',
    "wav2vec2_fairseq_base_ls960.pth",
    _params(),
    False,
)
WAV2VEC2_ASR_BASE_10M = _asr(
    f'Wav2vec 2.0 model ("base" architecture with an extra linear module), {_LS960_DATA}, and {_10M}',
    "wav2vec2_fairseq_base_ls960_asr_ll10m.pth",
    _params(aux_num_out=29),
    False,
)
WAV2VEC2_ASR_BASE_100H = _asr(
    f'Wav2vec 2.0 model ("base" architecture with an extra linear module), {_LS960_DATA}, and {_100H}',
    "wav2vec2_fairseq_base_ls960_asr_ls100.pth",
    _params(aux_num_out=29),
    False,
)
WAV2VEC2_ASR_BASE_960H = _asr(
    f'Wav2vec 2.0 model ("base" architecture with an extra linear module), {_LS960_DATA}, and {_960H}',
    "wav2vec2_fairseq_base_ls960_asr_ls960.pth",
    _params(aux_num_out=29),
    False,
)
WAV2VEC2_LARGE = _bundle(
    Wav2Vec2Bundle,
    f'Wav2vec 2.0 model ("large" architecture), {_LS960_DATA}, not fine-tuned.',
    "wav2vec2_fairseq_large_ls960.pth",
    _params(_LARGE, _LS960),
    False,
)
WAV2VEC2_ASR_LARGE_10M = _asr(
    f'Wav2vec 2.0 model ("large" architecture with an extra linear module), {_LS960_DATA}, and {_10M}',
    "wav2vec2_fairseq_large_ls960_asr_ll10m.pth",
    _params(_LARGE, _LS960, aux_num_out=29),
    False,
)
WAV2VEC2_ASR_LARGE_100H = _asr(
    f'Wav2vec 2.0 model ("large" architecture with an extra linear module), {_LS960_DATA}, and {_100H}',
    "wav2vec2_fairseq_large_ls960_asr_ls100.pth",
    _params(_LARGE, _LS960, aux_num_out=29),
    False,
)
WAV2VEC2_ASR_LARGE_960H = _asr(
    f'Wav2vec 2.0 model ("large" architecture with an extra linear module), {_LS960_DATA}, and {_960H}',
    "wav2vec2_fairseq_large_ls960_asr_ls960.pth",
    _params(_LARGE, _LS960, aux_num_out=29),
    False,
)
WAV2VEC2_LARGE_LV60K = _bundle(
    Wav2Vec2Bundle,
    f'Wav2vec 2.0 model ("large-lv60k" architecture), {_LL60K_DATA}, not fine-tuned.',
    "wav2vec2_fairseq_large_lv60k.pth",
    _params(_LV60K),
    True,
)
WAV2VEC2_ASR_LARGE_LV60K_10M = _asr(
    f'Wav2vec 2.0 model ("large-lv60k" architecture with an extra linear module), {_LL60K_DATA}, and {_10M}',
    "wav2vec2_fairseq_large_lv60k_asr_ll10m.pth",
    _params(_LV60K, aux_num_out=29),
    True,
)
WAV2VEC2_ASR_LARGE_LV60K_100H = _asr(
    f'Wav2vec 2.0 model ("large-lv60k" architecture with an extra linear module), {_LL60K_DATA}, and {_100H}',
    "wav2vec2_fairseq_large_lv60k_asr_ls100.pth",
    _params(_LV60K, aux_num_out=29),
    True,
)
WAV2VEC2_ASR_LARGE_LV60K_960H = _asr(
    f'Wav2vec 2.0 model ("large-lv60k" architecture with an extra linear module), {_LL60K_DATA}, and {_960H}',
    "wav2vec2_fairseq_large_lv60k_asr_ls960.pth",
    _params(_LV60K, aux_num_out=29),
    True,
)
WAV2VEC2_XLSR53 = _bundle(
    Wav2Vec2Bundle,
    'Wav2vec 2.0 model ("base" architecture), pre-trained on 56,000 hours of unlabeled audio from\n'
    "multiple datasets (*Multilingual LibriSpeech*, *CommonVoice* and *BABEL*), not fine-tuned.",
    "wav2vec2_fairseq_large_xlsr53.pth",
    _params(_XLSR),
    True,
)
WAV2VEC2_XLSR_300M = _bundle(
    Wav2Vec2Bundle,
    f"XLS-R model with 300 million parameters, {_XLSR_DATA}",
    "wav2vec2_xlsr_300m.pth",
    _params(_XLSR),
    True,
)
# torchaudio keeps the projection dropout of the 1B and 2B XLS-R models at 0.1
WAV2VEC2_XLSR_1B = _bundle(
    Wav2Vec2Bundle,
    f"XLS-R model with 1 billion parameters, {_XLSR_DATA}",
    "wav2vec2_xlsr_1b.pth",
    _params(_LV60K, _XLARGE, encoder_attention_dropout=0.0),
    True,
)
WAV2VEC2_XLSR_2B = _bundle(
    Wav2Vec2Bundle,
    f"XLS-R model with 2 billion parameters, {_XLSR_DATA}",
    "wav2vec2_xlsr_2b.pth",
    _params(
        _LV60K,
        _XLARGE,
        encoder_embed_dim=1920,
        encoder_ff_interm_features=7680,
        encoder_attention_dropout=0.0,
    ),
    True,
)
VOXPOPULI_ASR_BASE_10K_DE = _asr(
    f'wav2vec 2.0 model ("base" architecture), {_VP_DATA} 282 hours of transcribed audio from "de" subset.',
    "wav2vec2_voxpopuli_base_10k_asr_de.pt",
    _params(_VOXPOPULI, aux_num_out=32),
    False,
    _DE_LABELS,
    _remove_aux_axis=(1, 2, 3, 35),
)
VOXPOPULI_ASR_BASE_10K_EN = _asr(
    f'wav2vec 2.0 model ("base" architecture), {_VP_DATA} 543 hours of transcribed audio from "en" subset.',
    "wav2vec2_voxpopuli_base_10k_asr_en.pt",
    _params(_VOXPOPULI, aux_num_out=28),
    False,
    _VP_EN_LABELS,
    _remove_aux_axis=(1, 2, 3, 31),
)
VOXPOPULI_ASR_BASE_10K_ES = _asr(
    f'wav2vec 2.0 model ("base" architecture), {_VP_DATA} 166 hours of transcribed audio from "es" subset.',
    "wav2vec2_voxpopuli_base_10k_asr_es.pt",
    _params(_VOXPOPULI, aux_num_out=35),
    False,
    _ES_LABELS,
    _remove_aux_axis=(1, 2, 3, 35),
)
VOXPOPULI_ASR_BASE_10K_FR = _asr(
    f'wav2vec 2.0 model ("base" architecture), {_VP_DATA} 211 hours of transcribed audio from "fr" subset.',
    "wav2vec2_voxpopuli_base_10k_asr_fr.pt",
    _params(_VOXPOPULI, aux_num_out=43),
    False,
    _FR_LABELS,
)
VOXPOPULI_ASR_BASE_10K_IT = _asr(
    f'wav2vec 2.0 model ("base" architecture), {_VP_DATA} 91 hours of transcribed audio from "it" subset.',
    "wav2vec2_voxpopuli_base_10k_asr_it.pt",
    _params(_VOXPOPULI, aux_num_out=37),
    False,
    _IT_LABELS,
)
HUBERT_BASE = _bundle(
    Wav2Vec2Bundle,
    f'HuBERT model ("base" architecture), {_LS960_DATA}, not fine-tuned.',
    "hubert_fairseq_base_ls960.pth",
    _params(),
    False,
)
HUBERT_LARGE = _bundle(
    Wav2Vec2Bundle,
    f'HuBERT model ("large" architecture), {_LL60K_DATA}, not fine-tuned.',
    "hubert_fairseq_large_ll60k.pth",
    _params(_HUBERT_LARGE),
    True,
)
HUBERT_XLARGE = _bundle(
    Wav2Vec2Bundle,
    f'HuBERT model ("extra large" architecture), {_LL60K_DATA}, not fine-tuned.',
    "hubert_fairseq_xlarge_ll60k.pth",
    _params(_HUBERT_XLARGE),
    True,
)
HUBERT_ASR_LARGE = _asr(
    f'HuBERT model ("large" architecture), {_LL60K_DATA}, and {_960H}',
    "hubert_fairseq_large_ll60k_asr_ls960.pth",
    _params(_HUBERT_LARGE, _HUBERT_ASR, aux_num_out=29),
    True,
)
HUBERT_ASR_XLARGE = _asr(
    f'HuBERT model ("extra large" architecture), {_LL60K_DATA}, and {_960H}',
    "hubert_fairseq_xlarge_ll60k_asr_ls960.pth",
    _params(_HUBERT_XLARGE, _HUBERT_ASR, aux_num_out=29),
    True,
)
WAVLM_BASE = _bundle(
    Wav2Vec2Bundle,
    'WavLM Base model ("base" architecture), pre-trained on 960 hours of unlabeled audio from\n'
    "*LibriSpeech*, not fine-tuned.",
    "wavlm_base.pth",
    _params(_WAVLM),
    False,
    "WavLM",
)
WAVLM_BASE_PLUS = _bundle(
    Wav2Vec2Bundle,
    f'WavLM Base+ model ("base" architecture), {_MIXED_DATA}',
    "wavlm_base_plus.pth",
    _params(_WAVLM),
    False,
    "WavLM",
)
WAVLM_LARGE = _bundle(
    Wav2Vec2Bundle,
    f'WavLM Large model ("large" architecture), {_MIXED_DATA}',
    "wavlm_large.pth",
    _params(_LARGE, _PRE_NORM, _WAVLM),
    True,
    "WavLM",
)
MMS_FA = _bundle(
    Wav2Vec2FABundle,
    "Trained on 31K hours of data in 1,130 languages from *Scaling Speech Technology to 1,000+\n"
    "Languages* (Pratap et al., 2023), published under CC-BY-NC 4.0 License.\n\n"
    ".. note::\n\n"
    "   Unlike other Wav2Vec2 bundles, this model does not have a token for word boundary\n"
    "   (like `|`). This makes the post-processing of alignments slightly different.",
    "https://dl.fbaipublicfiles.com/mms/torchaudio/ctc_alignment_mling_uroman/model.pt",
    _params(_HUBERT_LARGE, _HUBERT_ASR, extractor_conv_bias=True, aux_num_out=28),
    True,
    _labels=_MMS_LABELS,
)
