"""The hook-based spectral normalization, ``ember.nn.utils.spectral_norm`` (torch's
``torch.nn.utils.spectral_norm``, https://arxiv.org/abs/1802.05957); prefer
:func:`ember.nn.utils.parametrizations.spectral_norm`."""

from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...ops.linalg import mv
from .. import functional as F
from ..modules import conv as _conv
from ..parameter import Parameter, UninitializedParameter

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name> = <name>_orig / sigma`` before each
    forward, ``sigma`` estimated as ``u·(W v)`` from the buffers ``<name>_u`` and
    ``<name>_v``, which power iteration refines in place in training mode.

    After each training forward, ``u = normalize(W v)``.
    """

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        """``weight`` as ``(size(dim), -1)``, dimension ``dim`` first."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        """``<name>_orig / sigma``, after ``n_power_iterations`` power iterations when
        ``do_power_iteration``."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # u and v are updated in place (as torch's ``out=``: a DataParallel replica's
            # update reaches the original module), never differentiated through
            with no_grad():
                for _ in range(self.n_power_iterations):
                    F.normalize(mv(weight_mat.t(), u), dim=0, eps=self.eps, out=v)
                    F.normalize(mv(weight_mat, v), dim=0, eps=self.eps, out=u)
                # clones, so that a graph through an earlier forward (a GAN's
                # D(real) - D(fake)) keeps the u and v it used
                u = u.clone()
                v = v.clone()
        sigma = u.dot(mv(weight_mat, v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError(
                "The module passed to `SpectralNorm` can't have uninitialized parameters. "
                "Make sure to run the dummy forward before applying spectral normalization"
            )
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            # random starting vectors
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # ``module.<name>`` stays readable (code that initialises weights reads it), as a
        # plain attribute, not a parameter
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Apply spectral normalization to a parameter with a forward pre-hook:
    ``W_SN = W / sigma(W)``, ``sigma`` the largest singular value of ``W``.

    The parameter ``name`` becomes ``<name>_orig``; the buffers ``<name>_u`` and ``<name>_v``
    hold the estimates of the first left and right singular vectors (random at first), and
    each forward in training mode refines them by ``n_power_iterations`` power iterations
    before recomputing ``module.<name>``. A weight of more than two dimensions is reshaped to
    a matrix with ``dim`` first. This stabilizes the discriminators (critics) of GANs.

    This function has been reimplemented as
    :func:`ember.nn.utils.parametrizations.spectral_norm`; prefer that one.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        n_power_iterations: power iterations per training forward. Default: ``1``.
        eps: lower bound of the norms. Default: ``1e-12``.
        dim: the dimension of the outputs. Default: ``0``, or ``1`` for
            ``ConvTranspose{1,2,3}d``.

    Returns:
        ``module``, with the spectral norm hook.

    Example::

        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.size()
        ember.Size([40])
    """
    if dim is None:
        transposed = (_conv.ConvTranspose1d, _conv.ConvTranspose2d, _conv.ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo :func:`spectral_norm`: ``name`` becomes one parameter again, holding the current
    normalized weight (no further power iteration).

    Raises:
        ValueError: if ``module`` has no spectral norm on ``name``.
    """
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
