"""Optimizers and learning-rate schedulers: ``torch.optim`` on ember tensors.

Every optimizer updates its parameters in place on their backend arrays (numpy or cupy),
following torch's single-tensor implementation operation for operation, and saves and loads
its state in torch's state-dict format. Results agree with torch's to a few units in the last
place rather than bit for bit: torch's kernels fuse ``a + alpha * b`` (``add_`` with
``alpha``, ``lerp_``) into one rounding, where numpy rounds twice. The schedulers' rates
match torch's exactly.
"""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "ASGD",
    "LBFGS",
    "Adafactor",
    "SparseAdam",
    "Muon",
    "lr_scheduler",
    "swa_utils",
]
