"""``emberaudio.transforms``: torchaudio.transforms' modules."""

from . import _filtering, _multi_channel, _transforms, _utterance
from ._filtering import *
from ._multi_channel import *
from ._transforms import *
from ._utterance import *

__all__ = _transforms.__all__ + _filtering.__all__ + _multi_channel.__all__ + _utterance.__all__
