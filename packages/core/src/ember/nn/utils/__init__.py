"""``ember.nn.utils``: gradient clipping, parameter/vector conversion, parametrizations and
weight normalization.

(``ember.nn.utils.rnn``, the packed-sequence helpers, ``ember.nn.utils.parametrize`` and
``ember.nn.utils.parametrizations`` are submodules of their own here, as in torch.)
"""

from . import parametrizations, parametrize, rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "remove_weight_norm",
    "vector_to_parameters",
    "weight_norm",
]
