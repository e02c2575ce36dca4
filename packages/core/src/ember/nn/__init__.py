"""``ember.nn``: modules, parameters, initialisation and the functional interface, as in
``torch.nn``."""

from . import functional, init, utils
from .modules import *
from .parameter import Parameter
