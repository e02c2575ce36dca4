"""Function transforms, as ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``, ``jvp``,
``jacrev``, ``jacfwd``, ``hessian`` and ``vmap``, which compose (``grad(grad(f))``,
``jacrev(jacrev(f))``, ``vmap(grad(f))`` for per-sample gradients), and ``functional_call``,
to use a module as a function of its parameters.

They run on Ember's reverse-mode autograd: ``jvp`` and ``jacfwd`` are computed in reverse mode
and ``vmap`` loops over the mapped dimension (Ember's operations have no batching rules); the
results are torch's. See each function.
"""

from ._functional_call import functional_call
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import vmap

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "vjp",
    "vmap",
]
