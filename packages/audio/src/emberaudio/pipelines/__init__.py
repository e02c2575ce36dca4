"""``emberaudio.pipelines``: torchaudio.pipelines' bundles of pretrained models.

A bundle holds what a pretrained model needs (its architecture's parameters, the URL of its
torchaudio checkpoint, its sample rate and labels) and builds the emberaudio model with the
weights loaded: ``emberaudio.pipelines.WAV2VEC2_ASR_BASE_960H.get_model()``. Checkpoints are
torchaudio's own ``torch.save`` files, read by :func:`ember.load` and cached where
``torch.hub`` caches them, so files PyTorch downloaded are reused. Without network access a
missing checkpoint fails at once with the URL and the folder to put it in.

A bundle whose model emberaudio lacks still gives its metadata and processors; building its
model raises NotImplementedError.
"""

from ._rnnt import EMFORMER_RNNT_BASE_LIBRISPEECH, RNNTBundle
from ._source_separation import (
    CONVTASNET_BASE_LIBRI2MIX,
    HDEMUCS_HIGH_MUSDB,
    HDEMUCS_HIGH_MUSDB_PLUS,
    SourceSeparationBundle,
)
from ._squim import SQUIM_OBJECTIVE, SQUIM_SUBJECTIVE, SquimObjectiveBundle, SquimSubjectiveBundle
from ._tts import (
    TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH,
    TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH,
    TACOTRON2_WAVERNN_CHAR_LJSPEECH,
    TACOTRON2_WAVERNN_PHONE_LJSPEECH,
    Tacotron2TTSBundle,
)
from ._wav2vec2 import (
    HUBERT_ASR_LARGE,
    HUBERT_ASR_XLARGE,
    HUBERT_BASE,
    HUBERT_LARGE,
    HUBERT_XLARGE,
    MMS_FA,
    VOXPOPULI_ASR_BASE_10K_DE,
    VOXPOPULI_ASR_BASE_10K_EN,
    VOXPOPULI_ASR_BASE_10K_ES,
    VOXPOPULI_ASR_BASE_10K_FR,
    VOXPOPULI_ASR_BASE_10K_IT,
    WAV2VEC2_ASR_BASE_10M,
    WAV2VEC2_ASR_BASE_100H,
    WAV2VEC2_ASR_BASE_960H,
    WAV2VEC2_ASR_LARGE_10M,
    WAV2VEC2_ASR_LARGE_100H,
    WAV2VEC2_ASR_LARGE_960H,
    WAV2VEC2_ASR_LARGE_LV60K_10M,
    WAV2VEC2_ASR_LARGE_LV60K_100H,
    WAV2VEC2_ASR_LARGE_LV60K_960H,
    WAV2VEC2_BASE,
    WAV2VEC2_LARGE,
    WAV2VEC2_LARGE_LV60K,
    WAV2VEC2_XLSR53,
    WAV2VEC2_XLSR_1B,
    WAV2VEC2_XLSR_2B,
    WAV2VEC2_XLSR_300M,
    WAVLM_BASE,
    WAVLM_BASE_PLUS,
    WAVLM_LARGE,
    Wav2Vec2ASRBundle,
    Wav2Vec2Bundle,
    Wav2Vec2FABundle,
)

__all__ = [
    "Wav2Vec2Bundle",
    "Wav2Vec2ASRBundle",
    "Wav2Vec2FABundle",
    "WAV2VEC2_BASE",
    "WAV2VEC2_LARGE",
    "WAV2VEC2_LARGE_LV60K",
    "WAV2VEC2_ASR_BASE_10M",
    "WAV2VEC2_ASR_BASE_100H",
    "WAV2VEC2_ASR_BASE_960H",
    "WAV2VEC2_ASR_LARGE_10M",
    "WAV2VEC2_ASR_LARGE_100H",
    "WAV2VEC2_ASR_LARGE_960H",
    "WAV2VEC2_ASR_LARGE_LV60K_10M",
    "WAV2VEC2_ASR_LARGE_LV60K_100H",
    "WAV2VEC2_ASR_LARGE_LV60K_960H",
    "WAV2VEC2_XLSR53",
    "WAV2VEC2_XLSR_300M",
    "WAV2VEC2_XLSR_1B",
    "WAV2VEC2_XLSR_2B",
    "VOXPOPULI_ASR_BASE_10K_EN",
    "VOXPOPULI_ASR_BASE_10K_ES",
    "VOXPOPULI_ASR_BASE_10K_DE",
    "VOXPOPULI_ASR_BASE_10K_FR",
    "VOXPOPULI_ASR_BASE_10K_IT",
    "HUBERT_BASE",
    "HUBERT_LARGE",
    "HUBERT_XLARGE",
    "HUBERT_ASR_LARGE",
    "HUBERT_ASR_XLARGE",
    "MMS_FA",
    "WAVLM_BASE",
    "WAVLM_BASE_PLUS",
    "WAVLM_LARGE",
    "Tacotron2TTSBundle",
    "TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH",
    "TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH",
    "TACOTRON2_WAVERNN_CHAR_LJSPEECH",
    "TACOTRON2_WAVERNN_PHONE_LJSPEECH",
    "RNNTBundle",
    "EMFORMER_RNNT_BASE_LIBRISPEECH",
    "SourceSeparationBundle",
    "CONVTASNET_BASE_LIBRI2MIX",
    "HDEMUCS_HIGH_MUSDB_PLUS",
    "HDEMUCS_HIGH_MUSDB",
    "SQUIM_OBJECTIVE",
    "SQUIM_SUBJECTIVE",
    "SquimObjectiveBundle",
    "SquimSubjectiveBundle",
]
