"""``embervision.models.detection``: the two-stage detectors, Faster R-CNN, Mask R-CNN and
Keypoint R-CNN, and the one-stage detectors, RetinaNet, FCOS, SSD and SSDlite, with
torchvision's module layout, names and state-dict keys. In training mode a model takes images
and targets and returns its losses; in evaluation mode it returns one dict of detections per
image."""

from .faster_rcnn import *
from .fcos import *
from .keypoint_rcnn import *
from .mask_rcnn import *
from .retinanet import *
from .ssd import *
from .ssdlite import *
