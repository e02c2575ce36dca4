"""``emberaudio.transforms``: torchaudio.transforms' modules."""

from . import _filtering, _transforms
from ._filtering import *
from ._transforms import *

__all__ = _transforms.__all__ + _filtering.__all__
