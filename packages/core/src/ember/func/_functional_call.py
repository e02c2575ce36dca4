"""``functional_call``: call a module with its parameters and buffers swapped for given
tensors, as torch.func's (and torch.nn.utils.stateless's)."""

from __future__ import annotations

from collections.abc import Sequence

from ..nn.utils.stateless import _functional_call

__all__ = ["functional_call"]


def functional_call(
    module,
    parameter_and_buffer_dicts,
    args=None,
    kwargs=None,
    *,
    tie_weights=True,
    strict=False,
):
    """Call ``module`` with the parameters and buffers named in ``parameter_and_buffer_dicts``
    replaced by the given tensors, for that call only.

    The module's own tensors are put back afterwards (a module that assigned new tensors to
    them during the call has those written back into the given dict). Differentiating with
    respect to the given tensors (``grad``, ``jacrev``, ``vmap`` of them) is the point.

    Args:
        module: the ``nn.Module`` to call.
        parameter_and_buffer_dicts: ``{name: tensor}`` by ``named_parameters`` /
            ``named_buffers`` names (``"0.weight"``), or a list/tuple of such dicts (a name in
            two of them is an error). Names not given keep the module's tensors.
        args: the positional arguments (a tuple, or one non-tuple argument). Default: none.
        kwargs: the keyword arguments. Default: none.
        tie_weights: tensors the module shares under several names (tied weights) are replaced
            together when one of those names is given. Default: True.
        strict: the given names must be exactly the module's parameter and buffer names.
            Default: False.

    Returns:
        What ``module(*args, **kwargs)`` returns.

    Example:
        >>> model = ember.nn.Linear(3, 1)
        >>> params = {k: v.detach() for k, v in model.named_parameters()}
        >>> def loss(params, x):
        ...     return functional_call(model, params, (x,)).sum()
        >>> grads = ember.func.grad(loss)(params, ember.randn(4, 3))  # {name: gradient}
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError(
                "Expected all elements of parameter_and_buffer_dicts to be dictionaries"
            )
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated_keys = [k for k, n in counts.items() if n > 1]
        if repeated_keys:
            raise ValueError(
                f"{repeated_keys} appeared in multiple dictionaries; behavior of functional call "
                "is ambiguous"
            )
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts)}"
        )
    return _functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
