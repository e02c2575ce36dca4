"""Pretrained text models (``torchtext.models``): RoBERTa and XLM-R encoders, T5 and FLAN-T5.

Each ``*Bundle`` names a configuration, the URL of torchtext's checkpoint and the matching
input transform; ``get_model()`` downloads the checkpoint (or finds it in the hub cache) and
reads it with :func:`ember.hub.load_state_dict_from_url`.
"""

from .roberta import *
from .roberta import __all__ as _roberta_all
from .t5 import *
from .t5 import __all__ as _t5_all

__all__ = _roberta_all + _t5_all
