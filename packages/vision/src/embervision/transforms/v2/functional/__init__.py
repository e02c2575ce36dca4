"""The v2 functionals (``torchvision.transforms.v2.functional``): each takes an image
(tensor, ``Image`` or PIL), a video, a mask or bounding boxes and dispatches on its type to the
kernel registered for it; TVTensor outputs keep their type and metadata."""

from ...functional import InterpolationMode
from ._color import *
from ._geometry import *
from ._meta import *
from ._misc import *
from ._type_conversion import *
from ._utils import is_pure_tensor, register_kernel
