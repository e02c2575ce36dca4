"""``emberaudio.functional``: torchaudio.functional's stateless audio operations."""

from . import filtering
from . import functional as _functional
from .filtering import *
from .functional import *

__all__ = _functional.__all__ + filtering.__all__
