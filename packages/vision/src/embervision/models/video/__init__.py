"""``embervision.models.video``: video classification models (the 18-layer video ResNets R3D,
MC3 and R(2+1)D, S3D, MViT V1 and V2, Video Swin Transformer) with torchvision's names and
state-dict keys. Each maps a ``(N, 3, T, H, W)`` clip to ``(N, num_classes)`` logits (400
Kinetics classes by default)."""

from .mvit import *
from .resnet import *
from .s3d import *
from .swin_transformer import *
