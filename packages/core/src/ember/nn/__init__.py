"""``ember.nn``: modules, parameters, initialisation and the functional interface, as in
``torch.nn``."""

from . import functional, init, parallel, utils
from .modules import *
from .parameter import Parameter
