"""``ember.nn.utils.parametrizations``: weight normalization and spectral normalization as
parametrizations (see :mod:`ember.nn.utils.parametrize`), as in torch."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.linalg import mv
from .. import functional as F
from ..modules import conv as _conv
from ..modules.module import Module
from . import parametrize

__all__ = ["weight_norm", "spectral_norm"]


def _norm_except_dim(v, pow, dim):
    """torch's ``norm_except_dim``: the ``pow``-norm over every dimension but ``dim``, kept
    as size-1 dimensions; ``dim == -1`` means the norm of the whole tensor, a 0-d tensor
    (torch's convention, not "the last dimension")."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:  # a 1-d tensor: the norm of each single element
        return v.abs()
    return v.norm(pow, dim=others, keepdim=True)


def _weight_norm(v, g, dim):
    """torch's ``_weight_norm``: ``v * (g / norm_except_dim(v, 2, dim))``."""
    return v * (g / _norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        weight_g = _norm_except_dim(weight, 2, self.dim)
        weight_v = weight
        return weight_g, weight_v


def weight_norm(module, name="weight", dim=0):
    """Apply weight normalization to a parameter: ``w = g * v / ||v||``.

    The parameter ``name`` is replaced by a magnitude ``g``
    (``parametrizations.<name>.original0``) and a direction ``v``
    (``parametrizations.<name>.original1``); ``module.<name>`` is recomputed on each access
    (use :func:`ember.nn.utils.parametrize.cached` to compute it once per forward).

    With ``dim=0`` the norm is taken per output channel (over every other dimension);
    ``dim=None`` takes the norm of the whole tensor. See https://arxiv.org/abs/1602.07868.

    State dicts written by the deprecated ``ember.nn.utils.weight_norm`` (keys ``<name>_g``
    and ``<name>_v``) load into a module normalized by this function, as in torch.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        dim: the dimension kept by the norm. Default: ``0``.

    Returns:
        ``module``, now ``Parametrized<Class>``.

    Example::

        >>> m = weight_norm(nn.Linear(20, 40), name="weight")
        >>> m.parametrizations.weight.original0.size()
        ember.Size([40, 1])
        >>> m.parametrizations.weight.original1.size()
        ember.Size([40, 20])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(
        state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        g_key = f"{prefix}{name}_g"
        v_key = f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    hooks = module.__dict__.setdefault("_parametrize_load_pre_hooks", [])
    hooks.append(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # start from good estimates of the singular vectors
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # u and v are updated in place (as torch's ``out=``), never differentiated through
        with no_grad():
            weight_mat = weight_mat.detach()
            for _ in range(n_power_iterations):
                F.normalize(mv(weight_mat, self._v), dim=0, eps=self.eps, out=self._u)
                F.normalize(mv(weight_mat.mT, self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.vdot(mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Apply spectral normalization to a parameter: ``W / sigma(W)``, ``sigma`` its largest
    singular value.

    ``sigma`` is estimated by power iteration: the singular-vector estimates are kept in the
    buffers ``parametrizations.<name>.0._u`` and ``._v`` (started from random vectors and 15
    iterations at registration) and ``n_power_iterations`` more iterations run on each access
    in training mode. Weights of more than two dimensions are reshaped to a matrix with
    ``dim`` first; a 1-d weight is divided by its norm. See https://arxiv.org/abs/1802.05957.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        n_power_iterations: power iterations per access. Default: ``1``.
        eps: lower bound of the norms. Default: ``1e-12``.
        dim: the output dimension. Default: ``0``, or ``1`` for ``ConvTranspose{1,2,3}d``.

    Returns:
        ``module``, now ``Parametrized<Class>``.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = tuple(
            getattr(_conv, n)
            for n in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
            if hasattr(_conv, n)
        )
        if isinstance(module, transposed):
            dim = 1
        else:
            dim = 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
