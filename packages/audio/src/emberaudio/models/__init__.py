"""``emberaudio.models``: torchaudio.models' architectures, with torchaudio's state-dict keys."""

from .conformer import Conformer
from .conv_tasnet import ConvTasNet, conv_tasnet_base
from .deepspeech import DeepSpeech
from .wav2letter import Wav2Letter
from .wav2vec2 import (
    Wav2Vec2Model,
    hubert_base,
    hubert_large,
    hubert_xlarge,
    wav2vec2_base,
    wav2vec2_large,
    wav2vec2_large_lv60k,
    wav2vec2_model,
    wav2vec2_xlsr_1b,
    wav2vec2_xlsr_2b,
    wav2vec2_xlsr_300m,
)
from .wavernn import WaveRNN

__all__ = [
    "Wav2Letter",
    "WaveRNN",
    "ConvTasNet",
    "conv_tasnet_base",
    "DeepSpeech",
    "Wav2Vec2Model",
    "wav2vec2_model",
    "wav2vec2_base",
    "wav2vec2_large",
    "wav2vec2_large_lv60k",
    "hubert_base",
    "hubert_large",
    "hubert_xlarge",
    "wav2vec2_xlsr_300m",
    "wav2vec2_xlsr_1b",
    "wav2vec2_xlsr_2b",
    "Conformer",
]
