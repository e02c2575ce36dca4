"""``emberaudio.functional``: torchaudio.functional's stateless audio operations."""

from . import alignment, beamforming, filtering
from . import functional as _functional
from .alignment import *
from .beamforming import *
from .filtering import *
from .functional import *

__all__ = _functional.__all__ + filtering.__all__ + alignment.__all__ + beamforming.__all__
