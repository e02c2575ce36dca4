"""``ember.special``: torch.special's functions under its names, most of them the element-wise
operations of ``ember`` itself (``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma``, ...); the
Bessel and Airy functions, ``erfcx``, ``zeta`` and the orthogonal polynomials are in
``ops/special_functions.py``."""

from __future__ import annotations

import math

from .. import backend
from .._dtype import get_default_dtype
from ..autograd.function import Function
from ..ops._util import quiet
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import softmax as _softmax
from ..ops.pointwise import (
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    i0,
    log,
    log1p,
    logit,
    mvlgamma,
    polygamma,
    sigmoid,
    sinc,
    where,
    xlogy,
)
from ..ops.pointwise import igamma as gammainc
from ..ops.pointwise import igammac as gammaincc
from ..ops.pointwise import lgamma as gammaln
from ..ops.pointwise import round as _round
from ..ops.pointwise import special_i0e as i0e
from ..ops.pointwise import special_i1 as i1
from ..ops.pointwise import special_i1e as i1e
from ..ops.reduction import logsumexp
from ..ops.special_functions import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    erfcx,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
    spherical_bessel_j0,
    zeta,
)

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]

expit = sigmoid
psi = digamma
multigammaln = mvlgamma

_SQRT_HALF = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _floating(input):
    """``input``, or in the default float dtype if it holds integers or bools."""
    return input if input.is_floating_point() else input.to(get_default_dtype())


class Entr(Function):
    """``-x log(x)``: 0 at 0, -inf for negative ``x``; its derivative ``-(1 + log(x))`` (-inf
    at 0 and NaN below, as torch's)."""

    @staticmethod
    def forward(ctx, x):
        xp = backend.array_module(x)
        ctx.save_for_backward(x)
        with quiet():
            y = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1)), xp.where(x == 0, 0, -xp.inf))
        return xp.where(xp.isnan(x), x, y).astype(x.dtype)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return -gy * (1 + log(x))


def entr(input):
    """The elementwise entropy ``-x * log(x)``: 0 at 0, -inf for negative ``x``."""
    return Entr.apply(_floating(input))


def ndtr(input):
    """The standard normal cumulative distribution function, ``(1 + erf(x / sqrt(2))) / 2``
    (as ``erfc(-x / sqrt(2)) / 2``, accurate in the lower tail)."""
    return erfc(_floating(input) * -_SQRT_HALF) * 0.5


def ndtri(input):
    """The inverse of ``ndtr``: ``sqrt(2) * erfinv(2p - 1)``; -inf at 0 and inf at 1."""
    return erfinv(_floating(input) * 2 - 1) * math.sqrt(2.0)


def log_ndtr(input):
    """``log(ndtr(input))``, accurate in the far lower tail: below -10 by the asymptotic
    series ``-x^2/2 - log(-x) - log(sqrt(2 pi)) + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + ...)``."""
    x = _floating(input)
    tail = x < -10
    z = where(tail, x, -10.0)
    r = 1 / (z * z)
    series = 1 + r * (-1 + r * (3 + r * (-15 + r * (105 + r * -945))))
    asymptotic = -z * z / 2 - log(-z) - _LOG_SQRT_2PI + log(series)
    safe = where(tail, 0.0, x)
    # log(ndtr(x)) = log1p(-ndtr(-x)) keeps the digits of a value near 0 for large x
    upper = log1p(erfc(safe * _SQRT_HALF) * -0.5)
    return where(tail, asymptotic, where(x > 0, upper, log(erfc(safe * -_SQRT_HALF) * 0.5)))


def xlog1py(input, other):
    """``input * log1p(other)``, defined as 0 where ``input`` is 0 (unless ``other`` is
    NaN)."""
    # where input is 0 (and other is not NaN) other is replaced by 0: the product is 0
    # without meeting 0 * log(0), and both gradients are 0 there (torch's convention)
    safe = where((input == 0) & (other == other), 0.0, other)
    return input * log1p(safe)


def round(input, *, decimals=0):
    """``ember.round`` of a floating tensor (torch.special's refuses integers)."""
    if not (input.is_floating_point() or input.is_complex()):
        kernel = "round_cpu" if decimals else "round_vml_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    return _round(input, decimals=decimals)


def softmax(input, dim, *, dtype=None):
    """``ember.softmax`` (torch.special's signature: ``dtype`` keyword-only)."""
    return _softmax(input, dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    """``ember.log_softmax`` (torch.special's signature: ``dtype`` keyword-only)."""
    return _log_softmax(input, dim, dtype)
