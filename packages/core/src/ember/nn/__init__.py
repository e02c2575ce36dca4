"""``ember.nn``: modules, parameters, initialisation and the functional interface, as in
``torch.nn``."""

from . import functional, init, parallel, utils
from .modules import *
from .parallel import DataParallel
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
