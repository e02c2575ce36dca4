"""``ember.nn.utils.stateless.functional_call``: call a module with some of its parameters and
buffers replaced for that one call (torch's ``torch.nn.utils.stateless``)."""

from __future__ import annotations

import contextlib
import warnings

from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["functional_call"]

# a tensor name the module did not have before the call (removed again afterwards)
_MISSING = object()


def _swap_tensor(module, path, tensor):
    """Put ``tensor`` (or ``_MISSING``: remove it) at the dotted ``path`` of ``module``;
    returns what was there (``_MISSING`` if nothing). A parameter or buffer slot is written
    directly, so a plain tensor may stand in for a Parameter; anything else is set as an
    attribute (a parametrized tensor then goes through its parametrization's setter)."""
    prefix, _, name = path.rpartition(".")
    owner = module
    for attr in prefix.split(".") if prefix else ():
        try:
            owner = getattr(owner, attr)
        except AttributeError as ex:
            raise AttributeError(f"{owner._get_name()} has no attribute `{attr}`") from ex
        if not isinstance(owner, Module):
            raise TypeError(f"submodule `{prefix}`: {owner} is not an instance of ember.nn.Module")
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of ember.Tensor")
    for store in (owner._parameters, owner._buffers):
        if name in store:
            orig = store[name]
            if tensor is _MISSING:
                del store[name]
            else:
                store[name] = tensor
            return orig
    orig = getattr(owner, name, _MISSING)
    if orig is not _MISSING and orig is not None and not isinstance(orig, Tensor):
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of ember.Tensor")
    if tensor is not _MISSING:
        setattr(owner, name, tensor)
    elif hasattr(owner, name):
        delattr(owner, name)
    return orig


def _swap_tensors(module, named_tensors):
    """Swap every ``name: tensor`` in; returns the ``name: original`` that swap them back.
    If one fails, those already swapped are swapped back first."""
    originals = {}
    try:
        for name, tensor in named_tensors.items():
            originals[name] = _swap_tensor(module, name, tensor)
    except Exception:
        for name, orig in originals.items():
            _swap_tensor(module, name, orig)
        raise
    return originals


def _untie_named_tensors_map(module, parameters_and_buffers):
    """``parameters_and_buffers`` with each given value also under the other names of the
    same tensor in ``module`` (its tied weights); it is an error to give tied names different
    values."""
    all_named_tensors = dict(module.named_parameters(remove_duplicate=False))
    all_named_tensors.update(module.named_buffers(remove_duplicate=False))
    tied_names_by_tensor = {}
    for name, tensor in all_named_tensors.items():
        tied_names_by_tensor.setdefault(id(tensor), set()).add(name)
    tied_names_map = {
        name: names for names in tied_names_by_tensor.values() if len(names) > 1 for name in names
    }
    given = [name for name in parameters_and_buffers if name in tied_names_map]
    for name in given:
        tied_names = tied_names_map[name]
        values = {id(parameters_and_buffers[n]) for n in tied_names if n in parameters_and_buffers}
        if len(values) > 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(tied_names)}, "
                "which are tied. Consider using tie_weights=False"
            )
    untied = dict(parameters_and_buffers)
    for name in given:
        for tied_name in tied_names_map[name]:
            untied[tied_name] = parameters_and_buffers[name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    if tie_weights:
        untied = _untie_named_tensors_map(module, parameters_and_buffers)
    else:
        untied = parameters_and_buffers
    if strict:
        valid_keys = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        valid_keys.update(name for name, _ in module.named_buffers(remove_duplicate=False))
        missing_keys = sorted(valid_keys - set(untied))
        unexpected_keys = sorted(set(untied) - valid_keys)
        error_msgs = []
        if unexpected_keys:
            error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected_keys))}.")
        if missing_keys:
            error_msgs.append(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
        if error_msgs:
            raise RuntimeError(
                "Error(s) in reparametrizing for {}:\n\t{}".format(
                    module._get_name(), "\n\t".join(error_msgs)
                )
            )
    originals = {}
    try:
        originals = _swap_tensors(module, untied)
        yield
    finally:
        # what the call left in the module (a forward may reassign a buffer) goes back to
        # the caller's dict
        final = _swap_tensors(module, originals)
        parameters_and_buffers.update({k: final[k] for k in parameters_and_buffers if k in final})


def functional_call(
    module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """Call ``module`` with its parameters and buffers replaced by the given ones, for this
    call only: ``module(*args, **kwargs)`` with ``module.<name>`` read from
    ``parameters_and_buffers[name]`` (dotted names reach submodules), then the module's own
    tensors are put back. Gradients flow to the given tensors.

    .. warning::
        Deprecated, as in torch (a ``FutureWarning``): use :func:`ember.func.functional_call`,
        a drop-in replacement.

    .. note:: A name of a parametrized tensor (``"weight"`` of a module with a
        parametrization on it) is set through the parametrization (its ``right_inverse``), as
        in torch; to feed the parametrization, give
        ``"parametrizations.weight.original"``.

    .. note:: If the module reassigns a parameter or buffer in its forward (``self.foo =
        self.foo + 1``), the new value ends up in ``parameters_and_buffers``, not in the
        module.

    Args:
        module: the module to call.
        parameters_and_buffers: ``{name: tensor}``, the tensors to use in the call.
        args: the positional arguments; anything but a tuple is a single argument.
        kwargs: the keyword arguments.
        tie_weights: tensors tied in ``module`` (one tensor under several names) stay tied:
            a value given for one name is used for all of them, and giving them different
            values is an error. With ``False``, only the names given are replaced.
            Default: ``True``.
        strict: the names must be exactly the module's parameters and buffers; missing or
            unexpected ones raise. Default: ``False``.

    Returns:
        What ``module`` returns.

    Example::

        >>> model = nn.Linear(3, 1)
        >>> w = ember.zeros(1, 3, requires_grad=True)
        >>> functional_call(model, {"weight": w}, ember.ones(2, 3)).shape
        ember.Size([2, 1])
    """
    warnings.warn(
        "`ember.nn.utils.stateless.functional_call` is deprecated and will be removed in a "
        "future version. Please use `ember.func.functional_call` instead which is a drop-in "
        "replacement.",
        FutureWarning,
        stacklevel=2,
    )
    return _functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )


def _functional_call(
    module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """The body of ``functional_call``, for a ``func.functional_call`` to share (torch's
    does)."""
    # (imported here: nn.modules imports nn.utils, which is loaded before nn.parallel)
    from ..parallel.data_parallel import DataParallel

    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(
        module, parameters_and_buffers, tie_weights=tie_weights, strict=strict
    ):
        return module(*args, **kwargs)
