"""``vmap``: torch.func's vectorizing map, run as a loop over the mapped dimension.

Ember's operations have no batching rules, so ``vmap(func)`` runs ``func`` once per slice of the
mapped dimension and stacks the results: torch's own fallback for operations without a batching
rule (and what its ``chunk_size=1`` does). The results are the same; the speed is that of the
loop. Everything ``func`` may do on one sample (``.item()``, data-dependent control flow,
in-place updates of its own tensors) therefore works, where torch's vmap would refuse some of
it.
"""

from __future__ import annotations

import functools

from .. import _creation, cuda, random
from .._tensor import Tensor
from ..ops.pointwise import equal
from ..ops.shape import stack
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Vectorizing map: ``vmap(func)`` maps ``func`` over a dimension of its inputs.

    ``func`` sees one slice at a time (the mapped dimension removed) and its outputs are
    stacked along ``out_dims``. In Ember this is a loop over the slices (see the module
    docstring); nest ``vmap`` for several dimensions, and compose it with ``grad`` for
    per-sample gradients.

    Args:
        func: a function of one or more arguments returning one or more tensors (any nesting
            of tuples, lists and dicts).
        in_dims: the dimension of each input to map over, an int or a (nested) tuple matching
            the structure of the inputs; None for an input that is not mapped. Default: 0.
        out_dims: where the mapped dimension goes in each output: an int, None (an output that
            is the same for every slice) or a (nested) structure of them. Default: 0.
        randomness: ``"error"`` (default): drawing random numbers from the default generator in
            ``func`` is an error; ``"different"``: each slice draws its own; ``"same"``: every
            slice draws the same numbers (the default generators are rewound before each).
            Only the default CPU generator's draws are detected in ``"error"`` mode; draws on a
            CUDA device or from an explicit ``generator`` are not.
        chunk_size: accepted for torch compatibility (None or positive): the slices run one at
            a time all the same.

    Returns:
        The batched function: it takes ``func``'s inputs with the extra dimensions and returns
        its outputs with the extra dimension at ``out_dims``.

    Example:
        >>> batched_dot = vmap(ember.dot)  # [N, D], [N, D] -> [N]
        >>> batched_dot(ember.randn(2, 5), ember.randn(2, 5)).shape
        ember.Size([2])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func, updated=())
    def wrapped(*args, **kwargs):
        name = _get_name(func)
        _check_out_dims(out_dims, name)
        batch_size, flat_in_dims, flat_args, args_spec = _process_batched_inputs(
            in_dims, args, name
        )
        slices = [
            arg if dim is None else _slices(arg, dim, batch_size)
            for arg, dim in zip(flat_args, flat_in_dims)
        ]
        guard = RandomnessGuard(randomness)
        outputs = []
        for i in range(max(batch_size, 1)):  # an empty batch runs once, for the shapes
            guard.before()
            sample = [s if d is None else s[i] for s, d in zip(slices, flat_in_dims)]
            outputs.append(func(*tree_unflatten(sample, args_spec), **kwargs))
            guard.after()
        return _stack_outputs(outputs, out_dims, batch_size, name)

    return wrapped


def _get_name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _slices(arg, dim, batch_size):
    """The slices of ``arg`` along ``dim``; an empty batch gives one of zeros, to run on."""
    if batch_size:
        return arg.unbind(dim)
    shape = arg.shape[:dim] + arg.shape[dim + 1 :]
    return (_creation.zeros(shape, dtype=arg.dtype, device=arg.device),)


def _process_batched_inputs(in_dims, args, name):
    """``(batch_size, flat_in_dims, flat_args, args_spec)``, or torch's errors."""
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
            "(potentially nested) tuple matching the structure of inputs, got: "
            f"{type(in_dims)}."
        )
    if not args:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
            "trying to vmap over a function with no inputs. The latter is unsupported."
        )
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_prefix(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
            f"the structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]!r} "
            f"but inputs has structure {args_spec!r}."
        )
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims)):
        if in_dim is None:
            continue
        if not isinstance(in_dim, int):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an "
                "input but in_dim must be either an integer dimension or None."
            )
        if not isinstance(arg, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an "
                f"input but the input is of type {type(arg)}. We cannot vmap over non-Tensor "
                "arguments, please use None as the respective in_dim"
            )
        if not -arg.dim() <= in_dim < arg.dim():
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for some "
                f"input, but that input is a Tensor of dimensionality {arg.dim()} so expected "
                f"in_dim to satisfy -{arg.dim()} <= in_dim < {arg.dim()}."
            )
        flat_in_dims[i] = in_dim % arg.dim()
    sizes = [arg.size(d) for arg, d in zip(flat_args, flat_in_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return sizes[0], flat_in_dims, flat_args, args_spec


def _check_out_dims(out_dims, name):
    flat, _ = tree_flatten(out_dims)
    if not all(d is None or isinstance(d, int) for d in flat):
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
            "python collection of ints representing where in the outputs the vmapped dimension "
            "should appear."
        )


def _stack_outputs(outputs, out_dims, batch_size, name):
    """The per-slice ``outputs`` joined into the batched output, along ``out_dims``."""
    flat_outputs, spec = tree_flatten(outputs[0])
    columns = [flat_outputs]
    for out in outputs[1:]:
        flat, other = tree_flatten(out)
        if other != spec:
            raise ValueError(
                f"vmap({name}, ...): `{name}` must return outputs of the same structure for "
                f"every slice, got {spec!r} and {other!r}"
            )
        columns.append(flat)
    flat_out_dims = _flat_out_dims(outputs[0], out_dims, spec)
    if flat_out_dims is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
            f"the structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]!r} "
            f"but outputs has structure {spec!r}."
        )
    joined = []
    for values, out_dim in zip(zip(*columns), flat_out_dims):
        first = values[0]
        if out_dim is None:
            if isinstance(first, Tensor) and not all(_same(first, v) for v in values[1:]):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim "
                    "is None"
                )
            joined.append(first)
            continue
        if not isinstance(first, Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                f"{type(first)}. Did you mean to set out_dims= to None for output?"
            )
        out = stack(values, out_dim)
        joined.append(out if batch_size else out.narrow(out_dim, 0, 0))
    return tree_unflatten(joined, spec)


def _flat_out_dims(output, out_dims, spec):
    if isinstance(output, Tensor):  # torch spells this case out (its test_out_dims_edge_case)
        if out_dims is None or isinstance(out_dims, int):
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        return None
    return broadcast_prefix(out_dims, spec)


def _same(a, b):
    """Whether the slices gave the same unbatched output (what torch's out_dim=None needs)."""
    return a is b or (a.shape == b.shape and equal(a, b))


class RandomnessGuard:
    """Enforces ``randomness`` over the calls of ``func`` that stand for one batched call:
    ``before()`` each rewinds the default generators in ``"same"`` mode; ``after()`` each
    raises torch's error in ``"error"`` mode if the CPU default generator was drawn from (and
    puts its state back)."""

    def __init__(self, randomness):
        self.randomness = randomness
        self.cpu_state = None if randomness == "different" else random.get_rng_state()
        self.cuda_states = []
        if randomness == "same" and cuda.is_available():
            self.cuda_states = [cuda.get_rng_state(i) for i in range(cuda.device_count())]

    def before(self):
        if self.randomness == "same":
            random.set_rng_state(self.cpu_state)
            for i, state in enumerate(self.cuda_states):
                cuda.set_rng_state(state, i)

    def after(self):
        if self.randomness == "error" and not equal(random.get_rng_state(), self.cpu_state):
            random.set_rng_state(self.cpu_state)
            raise RuntimeError(_RANDOM_ERROR)
