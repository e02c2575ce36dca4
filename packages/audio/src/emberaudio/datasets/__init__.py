"""``emberaudio.datasets``: torchaudio.datasets' speech datasets, read from their real layouts."""

from .librispeech import LIBRISPEECH
from .ljspeech import LJSPEECH
from .speechcommands import SPEECHCOMMANDS
from .yesno import YESNO

__all__ = ["LIBRISPEECH", "LJSPEECH", "SPEECHCOMMANDS", "YESNO"]
