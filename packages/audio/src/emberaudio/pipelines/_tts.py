"""Pretrained text-to-speech: Tacotron2 with a WaveRNN or Griffin-Lim vocoder, on LJSpeech."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import ember
from ember import nn
from ember.nn.utils.rnn import pad_sequence

from ..functional import mu_law_decoding
from ..transforms import GriffinLim, InverseMelScale
from ._utils import _load_state_dict_from_url, _model

_BASE_URL = "https://download.pytorch.org/torchaudio/models"

# ------------------------------------------------------------------------------- interfaces


class _TextProcessor(ABC):
    @property
    @abstractmethod
    def tokens(self):
        """The tokens that the each value in the processed tensor represent.

        :type: List[str]
        """

    @abstractmethod
    def __call__(self, texts):
        """Encode the given (batch of) texts into numerical tensors

        Args:
            text (str or list of str): The input texts.

        Returns:
            (Tensor, Tensor):
            Tensor:
                The encoded texts. Shape: `(batch, max length)`
            Tensor:
                The valid length of each sample in the batch. Shape: `(batch, )`.
        """


class _Vocoder(ABC):
    @property
    @abstractmethod
    def sample_rate(self):
        """The sample rate of the resulting waveform

        :type: float
        """

    @abstractmethod
    def __call__(self, specgrams, lengths=None):
        """Generate waveform from the given input, such as spectrogram

        Args:
            specgrams (Tensor): The input spectrogram. Shape: `(batch, frequency bins, time)`.
                The expected shape depends on the implementation.
            lengths (Tensor, or None, optional): The valid length of each sample in the batch.
                Shape: `(batch, )`. (Default: `None`)

        Returns:
            (Tensor, Optional[Tensor]):
            Tensor:
                The generated waveform. Shape: `(batch, max length)`
            Tensor or None:
                The valid length of each sample in the batch. Shape: `(batch, )`.
        """


class Tacotron2TTSBundle(ABC):
    """Data class that bundles associated information to use pretrained Tacotron2 and vocoder.

    This class provides interfaces for instantiating the pretrained model along with the
    information necessary to retrieve pretrained weights and additional data to be used with
    the model. Emberaudio instantiates objects of this class, each of which represents a
    different pretrained model.

    Example - Character-based TTS pipeline with Tacotron2 and WaveRNN
        >>> bundle = emberaudio.pipelines.TACOTRON2_WAVERNN_CHAR_LJSPEECH
        >>> processor = bundle.get_text_processor()
        >>> tacotron2 = bundle.get_tacotron2()
        >>> vocoder = bundle.get_vocoder()
        >>> with ember.inference_mode():
        ...     processed, lengths = processor("Hello world! Text to speech!")
        ...     spec, spec_lengths, _ = tacotron2.infer(processed, lengths)
        ...     waveforms, lengths = vocoder(spec, spec_lengths)
        >>> emberaudio.save("output.wav", waveforms[0:1], vocoder.sample_rate)
    """

    # the interfaces are inner classes so that they are not exposed on their own
    class TextProcessor(_TextProcessor):
        """Interface of the text processing part of Tacotron2TTS pipeline"""

    class Vocoder(_Vocoder):
        """Interface of the vocoder part of Tacotron2TTS pipeline"""

    @abstractmethod
    def get_text_processor(self, *, dl_kwargs=None):
        """Create a text processor

        For character-based pipeline, this processor splits the input text by character.
        For phoneme-based pipeline, this processor converts the input text (grapheme) to
        phonemes.

        If a pre-trained weight file is necessary, :func:`ember.hub.download_url_to_file` is
        used to downloaded it.

        Args:
            dl_kwargs (dictionary of keyword arguments,): Passed to
                :func:`ember.hub.download_url_to_file`.

        Returns:
            TextProcessor: A callable which takes a string or a list of strings as input and
            returns Tensor of encoded texts and Tensor of valid lengths. The object also has
            ``tokens`` property, which allows to recover the tokenized form.

        Example - Character-based
            >>> text = ["Hello World!", "Text-to-speech!"]
            >>> processor = emberaudio.pipelines.TACOTRON2_WAVERNN_CHAR_LJSPEECH.get_text_processor()
            >>> input, lengths = processor(text)
            >>> [processor.tokens[i] for i in input[0, : lengths[0]]]
            ['h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!']
        """

    @abstractmethod
    def get_vocoder(self, *, dl_kwargs=None):
        """Create a vocoder module, based off of either WaveRNN or GriffinLim.

        If a pre-trained weight file is necessary, :func:`ember.hub.load_state_dict_from_url`
        is used to downloaded it.

        Args:
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`.

        Returns:
            Vocoder: A vocoder module, which takes spectrogram Tensor and an optional length
            Tensor, then returns resulting waveform Tensor and an optional length Tensor.
        """

    @abstractmethod
    def get_tacotron2(self, *, dl_kwargs=None):
        """Create a Tacotron2 model with pre-trained weight.

        Args:
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`.

        Returns:
            Tacotron2: The resulting model.
        """


# ---------------------------------------------------------------------------- text processors

_CHARS = tuple("_-!'(),.:;? abcdefghijklmnopqrstuvwxyz")


def _to_tensor(indices):
    lengths = ember.tensor([len(i) for i in indices], dtype=ember.int32)
    values = pad_sequence([ember.tensor(i) for i in indices], batch_first=True)
    return values, lengths


class _EnglishCharProcessor(Tacotron2TTSBundle.TextProcessor):
    def __init__(self):
        super().__init__()
        self._tokens = _CHARS
        self._mapping = {s: i for i, s in enumerate(self._tokens)}

    @property
    def tokens(self):
        return self._tokens

    def __call__(self, texts):
        if isinstance(texts, str):
            texts = [texts]
        indices = [[self._mapping[c] for c in t.lower() if c in self._mapping] for t in texts]
        return _to_tensor(indices)


# ---------------------------------------------------------------------------------- vocoders


def _unnormalize_waveform(waveform, bits):
    r"""Transform waveform [-1, 1] to label [0, 2 ** bits - 1]"""
    waveform = ember.clamp(waveform, -1, 1)
    waveform = (waveform + 1.0) * (2**bits - 1) / 2
    return ember.clamp(waveform, 0, 2**bits - 1).int()


class _WaveRNNVocoder(nn.Module, Tacotron2TTSBundle.Vocoder):
    def __init__(self, model, min_level_db=-100):
        super().__init__()
        self._sample_rate = 22050
        self._model = model
        self._min_level_db = min_level_db

    @property
    def sample_rate(self):
        return self._sample_rate

    def forward(self, mel_spec, lengths=None):
        mel_spec = ember.exp(mel_spec)
        mel_spec = 20 * ember.log10(ember.clamp(mel_spec, min=1e-5))
        if self._min_level_db is not None:
            mel_spec = (self._min_level_db - mel_spec) / self._min_level_db
            mel_spec = ember.clamp(mel_spec, min=0, max=1)
        waveform, lengths = self._model.infer(mel_spec, lengths)
        waveform = _unnormalize_waveform(waveform, self._model.n_bits)
        waveform = mu_law_decoding(waveform, self._model.n_classes)
        waveform = waveform.squeeze(1)
        return waveform, lengths


class _GriffinLimVocoder(nn.Module, Tacotron2TTSBundle.Vocoder):
    def __init__(self):
        super().__init__()
        self._sample_rate = 22050
        self._inv_mel = InverseMelScale(
            n_stft=(1024 // 2 + 1),
            n_mels=80,
            sample_rate=self.sample_rate,
            f_min=0.0,
            f_max=8000.0,
            mel_scale="slaney",
            norm="slaney",
        )
        self._griffin_lim = GriffinLim(n_fft=1024, power=1, hop_length=256, win_length=1024)

    @property
    def sample_rate(self):
        return self._sample_rate

    def forward(self, mel_spec, lengths=None):
        # torchaudio detaches the spectrogram: the waveform carries no gradient
        spec = self._inv_mel(ember.exp(mel_spec).detach())
        waveforms = self._griffin_lim(spec)
        return waveforms, lengths


# ------------------------------------------------------------------------------ bundle mixins


class _CharMixin:
    def get_text_processor(self):
        return _EnglishCharProcessor()


class _PhoneMixin:
    def get_text_processor(self, *, dl_kwargs=None):
        # torchaudio converts graphemes to phonemes with DeepPhonemizer: a PyTorch model whose
        # checkpoint is a pickled Python object, which ember neither runs nor loads.
        raise RuntimeError(
            "The phoneme-based text processor needs DeepPhonemizer, a PyTorch model, which "
            "emberaudio does not provide. Use a character-based bundle."
        )


def _pretrained(name, params, path, dl_kwargs):
    factory = _model(name)
    state_dict = _load_state_dict_from_url(f"{_BASE_URL}/{path}", dl_kwargs)
    model = factory(**params)
    model.load_state_dict(state_dict)
    model.eval()
    return model


@dataclass
class _Tacotron2Mixin:
    _tacotron2_path: str
    _tacotron2_params: dict[str, Any]

    def get_tacotron2(self, *, dl_kwargs=None):
        return _pretrained("Tacotron2", self._tacotron2_params, self._tacotron2_path, dl_kwargs)


@dataclass
class _WaveRNNMixin:
    _wavernn_path: str | None
    _wavernn_params: dict[str, Any] | None

    def get_vocoder(self, *, dl_kwargs=None):
        return _WaveRNNVocoder(self._get_wavernn(dl_kwargs=dl_kwargs))

    def _get_wavernn(self, *, dl_kwargs=None):
        return _pretrained("WaveRNN", self._wavernn_params, self._wavernn_path, dl_kwargs)


class _GriffinLimMixin:
    def get_vocoder(self, **_):
        return _GriffinLimVocoder()


@dataclass
class _Tacotron2WaveRNNCharBundle(_WaveRNNMixin, _Tacotron2Mixin, _CharMixin, Tacotron2TTSBundle):
    pass


@dataclass
class _Tacotron2WaveRNNPhoneBundle(_WaveRNNMixin, _Tacotron2Mixin, _PhoneMixin, Tacotron2TTSBundle):
    pass


@dataclass
class _Tacotron2GriffinLimCharBundle(
    _GriffinLimMixin, _Tacotron2Mixin, _CharMixin, Tacotron2TTSBundle
):
    pass


@dataclass
class _Tacotron2GriffinLimPhoneBundle(
    _GriffinLimMixin, _Tacotron2Mixin, _PhoneMixin, Tacotron2TTSBundle
):
    pass


# ---------------------------------------------------------------------------------- bundles


def _get_taco_params(n_symbols):
    return {
        "mask_padding": False,
        "n_mels": 80,
        "n_frames_per_step": 1,
        "symbol_embedding_dim": 512,
        "encoder_embedding_dim": 512,
        "encoder_n_convolution": 3,
        "encoder_kernel_size": 5,
        "decoder_rnn_dim": 1024,
        "decoder_max_step": 2000,
        "decoder_dropout": 0.1,
        "decoder_early_stopping": True,
        "attention_rnn_dim": 1024,
        "attention_hidden_dim": 128,
        "attention_location_n_filter": 32,
        "attention_location_kernel_size": 31,
        "attention_dropout": 0.1,
        "prenet_dim": 256,
        "postnet_n_convolution": 5,
        "postnet_kernel_size": 5,
        "postnet_embedding_dim": 512,
        "gate_threshold": 0.5,
        "n_symbol": n_symbols,
    }


def _get_wrnn_params():
    return {
        "upsample_scales": [5, 5, 11],
        "n_classes": 2**8,  # n_bits = 8
        "hop_length": 275,
        "n_res_block": 10,
        "n_rnn": 512,
        "n_fc": 512,
        "kernel_size": 5,
        "n_freq": 80,
        "n_hidden": 128,
        "n_output": 128,
    }


_CHAR_DOC = "The text processor encodes the input texts character-by-character."
_PHONE_DOC = (
    "The text processor encodes the input texts based on phoneme, converted from graphemes by\n"
    "DeepPhonemizer (*en_us_cmudict_forward*, trained on CMUDict), which emberaudio does not\n"
    "provide: :meth:`get_text_processor` raises RuntimeError."
)
_GRIFFINLIM_DOC = "and :py:class:`~emberaudio.transforms.GriffinLim` as vocoder."
_WAVERNN_DOC = (
    "and :py:class:`~emberaudio.models.WaveRNN` vocoder trained on 8 bits depth waveform of\n"
    "*LJSpeech* for 10,000 epochs."
)


def _tts_doc(kind, vocoder, processor):
    return f"""{kind}-based TTS pipeline with :py:class:`~emberaudio.models.Tacotron2` trained on
*LJSpeech* for 1,500 epochs, {vocoder}

{processor}

Please refer to :func:`emberaudio.pipelines.Tacotron2TTSBundle` for the usage.
"""


TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH = _Tacotron2GriffinLimCharBundle(
    _tacotron2_path="tacotron2_english_characters_1500_epochs_ljspeech.pth",
    _tacotron2_params=_get_taco_params(n_symbols=38),
)
TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH.__doc__ = _tts_doc("Character", _GRIFFINLIM_DOC, _CHAR_DOC)

TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH = _Tacotron2GriffinLimPhoneBundle(
    _tacotron2_path="tacotron2_english_phonemes_1500_epochs_ljspeech.pth",
    _tacotron2_params=_get_taco_params(n_symbols=96),
)
TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH.__doc__ = _tts_doc("Phoneme", _GRIFFINLIM_DOC, _PHONE_DOC)

TACOTRON2_WAVERNN_CHAR_LJSPEECH = _Tacotron2WaveRNNCharBundle(
    _tacotron2_path="tacotron2_english_characters_1500_epochs_wavernn_ljspeech.pth",
    _tacotron2_params=_get_taco_params(n_symbols=38),
    _wavernn_path="wavernn_10k_epochs_8bits_ljspeech.pth",
    _wavernn_params=_get_wrnn_params(),
)
TACOTRON2_WAVERNN_CHAR_LJSPEECH.__doc__ = _tts_doc("Character", _WAVERNN_DOC, _CHAR_DOC)

TACOTRON2_WAVERNN_PHONE_LJSPEECH = _Tacotron2WaveRNNPhoneBundle(
    _tacotron2_path="tacotron2_english_phonemes_1500_epochs_wavernn_ljspeech.pth",
    _tacotron2_params=_get_taco_params(n_symbols=96),
    _wavernn_path="wavernn_10k_epochs_8bits_ljspeech.pth",
    _wavernn_params=_get_wrnn_params(),
)
TACOTRON2_WAVERNN_PHONE_LJSPEECH.__doc__ = _tts_doc("Phoneme", _WAVERNN_DOC, _PHONE_DOC)
