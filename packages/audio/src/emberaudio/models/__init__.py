"""``emberaudio.models``: torchaudio.models' architectures, with torchaudio's state-dict keys."""

from .wav2letter import Wav2Letter

__all__ = ["Wav2Letter"]
