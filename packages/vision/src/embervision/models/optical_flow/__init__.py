"""``embervision.models.optical_flow``: RAFT (large and small) with torchvision's names and
state-dict keys. A model maps two ``(N, 3, H, W)`` images to the list of its successive
``(N, 2, H, W)`` flow predictions."""

from .raft import *
