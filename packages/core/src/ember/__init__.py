"""Ember: PyTorch's tensor, autograd and nn API on numpy (CPU) and cupy (GPU).

``import ember`` gives what ``import torch`` gives: tensors and their factories, dtypes,
devices, autograd and the operations, under torch's names.
"""

from __future__ import annotations

import math as _math

__version__ = "0.1.0"

# _tensor first: its closing imports tie Tensor to autograd and the operation modules
from ._tensor import Size, Tensor  # isort: skip
from ._tensor_str import set_printoptions  # isort: skip
from . import autograd, backend, cuda, hub, random  # isort: skip
from ._creation import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    empty_strided,
    eye,
    from_numpy,
    frombuffer,
    full,
    full_like,
    get_default_device,
    linspace,
    ones,
    ones_like,
    range,
    scalar_tensor,
    set_default_device,
    tensor,
    zeros,
    zeros_like,
)
from ._dtype import (
    bool_ as bool,
)
from ._dtype import (
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from ._utilities import *
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .backend import Device as device
from .ops.activation import *
from .ops.complex import *
from .ops.conversion import clone
from .ops.decomposition import *
from .ops.indexing import *
from .ops.linalg import *
from .ops.pointwise import (
    abs,
    absolute,
    acos,
    acosh,
    add,
    addcdiv,
    addcmul,
    allclose,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ceil,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    copysign,
    cos,
    cosh,
    deg2rad,
    digamma,
    div,
    divide,
    eq,
    equal,
    erf,
    erfc,
    erfinv,
    exp,
    exp2,
    expm1,
    fill,
    fix,
    float_power,
    floor,
    floor_divide,
    fmax,
    fmin,
    fmod,
    frac,
    frexp,
    gcd,
    ge,
    greater,
    greater_equal,
    gt,
    heaviside,
    hypot,
    i0,
    igamma,
    igammac,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    lcm,
    ldexp,
    le,
    lerp,
    less,
    less_equal,
    lgamma,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logit,
    logspace,
    lt,
    maximum,
    minimum,
    mul,
    multiply,
    mvlgamma,
    nan_to_num,
    ne,
    neg,
    negative,
    nextafter,
    not_equal,
    polygamma,
    positive,
    pow,
    rad2deg,
    reciprocal,
    relu,
    remainder,
    round,
    rsqrt,
    rsub,
    sgn,
    sigmoid,
    sign,
    signbit,
    sin,
    sinc,
    sinh,
    sqrt,
    square,
    sub,
    subtract,
    tan,
    tanh,
    true_divide,
    trunc,
    where,
    xlogy,
)
from .ops.reduction import *
from .ops.shape import *
from .ops.sorting import *
from .ops.spectral import *
from .ops.statistics import *
from .random import (
    Generator,
    bernoulli,
    binomial,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from .serialization import load, save

from . import distributed, fft, nn, optim, utils  # isort: skip  (built on everything above)
from . import amp, cpu  # isort: skip
from .amp import autocast, get_autocast_dtype, is_autocast_enabled  # isort: skip
from . import linalg  # isort: skip
from . import distributions  # isort: skip
from . import special  # isort: skip
from . import func  # isort: skip
from ._torch_functions import *  # isort: skip  (the rest of torch's top level)
from .nn.functional import (  # isort: skip  (torch has these at the top level too)
    channel_shuffle,
    cosine_similarity,
    pairwise_distance,
    pdist,
)

e, pi, inf, nan, newaxis = _math.e, _math.pi, _math.inf, _math.nan, None

# torch's dtype aliases
half, double, short, long = float16, float64, int16, int64
float = float32
int = int32
cfloat, cdouble = complex64, complex128
