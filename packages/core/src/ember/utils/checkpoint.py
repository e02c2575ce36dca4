"""Activation checkpointing: ``torch.utils.checkpoint`` on ember tensors.

A checkpointed function runs its forward without keeping the activations it computes; the
backward pass runs it again, under the random-number state and autocast state of the forward,
and back-propagates through that recomputed graph. Compute is traded for memory.

Two variants, chosen by ``use_reentrant`` as in torch:

* ``use_reentrant=True`` is torch's ``CheckpointFunction``: the forward runs under ``no_grad``
  and the backward re-runs the function and calls ``ember.autograd.backward`` from inside the
  outer backward pass (a reentrant pass), accumulating straight into the ``.grad`` of whatever
  the function used. Hence torch's limits: at least one input must require grad, keyword
  arguments are refused, and ``autograd.grad`` / ``backward(inputs=...)`` raise.
* ``use_reentrant=False`` records the forward's graph only long enough to find the leaves
  the outputs depend on (the function's parameters, found however it reaches them) and drops
  it; the checkpoint becomes one graph node whose inputs are the tensor arguments and those
  leaves. Its backward recomputes the function and takes the gradients with
  ``ember.autograd.grad``, so it works with every way of running backward, takes keyword
  arguments, tensors nested in lists, tuples and dicts, ``context_fn`` and
  ``determinism_check``, and gives parameters their gradients when no input requires grad.
  torch implements this variant with saved-tensor hooks, which Ember's autograd has not; the
  results are the same, except that recomputation always runs the whole function
  (``early_stop`` has nothing to stop) and there is no operator trace for ``debug``. A
  non-leaf tensor the function captures from outside instead of taking as an argument is
  treated as part of the checkpointed region: pass such tensors as arguments.
"""

from __future__ import annotations

import contextlib
import warnings

from .. import backend, cuda, random
from .._tensor import Tensor
from ..amp import autocast_mode as _autocast
from ..autograd import Function, backward, enable_grad, grad, is_grad_enabled
from ..autograd.function import _is_checkpoint_valid

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]

_DEFAULT_DETERMINISM_MODE = "default"


def _default_meta_extractor(x):
    return {"shape": x.shape, "dtype": x.dtype, "device": x.device}


_allowed_determinism_checks_to_fns = {
    _DEFAULT_DETERMINISM_MODE: _default_meta_extractor,
    "none": lambda _: None,
}


class CheckpointError(RuntimeError):
    """A recomputation that differs from the forward it replays."""


def noop_context_fn():
    """The default ``context_fn``: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def check_backward_validity(inputs):
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
        )


def detach_variable(inputs):
    """The tensors of the tuple ``inputs`` detached, each keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
    return tuple(_detached(inp) for inp in inputs)


def _detached(value):
    if not isinstance(value, Tensor):
        return value
    x = value.detach()
    x.requires_grad = value.requires_grad
    return x


def _tree_map(fn, value):
    """``fn`` applied to every leaf of nested tuples, lists and dicts."""
    if isinstance(value, (tuple, list)):
        return type(value)(_tree_map(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _tree_map(fn, v) for k, v in value.items()}
    return fn(value)


def _tensors_in(value):
    found = []
    _tree_map(lambda v: found.append(v) if isinstance(v, Tensor) else None, value)
    return found


class _RngState:
    """The CPU random state and that of the CUDA devices of ``tensors``, at creation."""

    def __init__(self, tensors):
        self.cpu = random.get_rng_state()
        devices = {t.device.index or 0 for t in tensors if t.device.type == "cuda"}
        self.devices = {index: cuda.get_rng_state(index) for index in sorted(devices)}

    def restore(self):
        random.set_rng_state(self.cpu)
        for index, state in self.devices.items():
            cuda.set_rng_state(state, index)

    @contextlib.contextmanager
    def replayed(self):
        """Run the block from this state on engines of its own: the default generators'
        engines, and so the streams the block interrupted, are set aside and put back after it
        untouched (taking the state of a CUDA generator would re-seed it)."""
        generators = [random.default_generator]
        generators += [cuda._default_generator(index) for index in self.devices]
        outer = [(g._engine, g._seed) for g in generators]
        for g in generators:
            g._engine = backend.random_engine(g.device, g._seed)
        self.restore()
        try:
            yield
        finally:
            for g, (engine, seed) in zip(generators, outer):
                g._engine, g._seed = engine, seed


class _AutocastState:
    """The autocast settings of the CPU and of ``device_type`` at creation, to re-enter."""

    def __init__(self, device_type):
        self.settings = [
            (device, _autocast.is_autocast_enabled(device), _autocast.get_autocast_dtype(device))
            for device in dict.fromkeys((device_type, "cpu"))
        ]
        self.cache_enabled = _autocast.is_autocast_cache_enabled()

    def entered(self, stack):
        for device, enabled, dtype in self.settings:
            stack.enter_context(
                _autocast.autocast(device, dtype, enabled, cache_enabled=self.cache_enabled)
            )


def _device_type(tensors):
    types = [t.device.type for t in tensors if t.device.type != "cpu"]
    return "cuda" if types else "cpu"


class CheckpointFunction(Function):
    """The reentrant checkpoint (``use_reentrant=True``), as torch's."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        tensors = _tensors_in(args)
        ctx.autocast_state = _AutocastState(_device_type(tensors))
        ctx.rng_state = _RngState(tensors) if preserve_rng_state else None
        # Non-tensor inputs are kept on ctx; the tensors are saved, to be filled in backward.
        ctx.inputs = [None if isinstance(arg, Tensor) else arg for arg in args]
        ctx.tensor_indices = [i for i, arg in enumerate(args) if isinstance(arg, Tensor)]
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_indices])
        return run_function(*args)  # (forward runs under no_grad)

    @staticmethod
    def backward(ctx, *args):
        if not _is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible"
                " with .grad() or passing an `inputs` parameter to .backward()."
                " To resolve this error, you can either set use_reentrant=False,"
                " or call .backward() without passing the `inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, tensor in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = tensor
        detached_inputs = detach_variable(tuple(inputs))
        with contextlib.ExitStack() as stack:
            if ctx.rng_state is not None:
                stack.enter_context(ctx.rng_state.replayed())
            stack.enter_context(enable_grad())
            ctx.autocast_state.entered(stack)
            outputs = ctx.run_function(*detached_inputs)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        # run backward() with only the outputs that require grad
        outputs_with_grad = []
        args_with_grad = []
        for output, g in zip(outputs, args):
            if isinstance(output, Tensor) and output.requires_grad:
                outputs_with_grad.append(output)
                args_with_grad.append(g)
        if not outputs_with_grad:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        backward(outputs_with_grad, args_with_grad)
        grads = tuple(inp.grad if isinstance(inp, Tensor) else None for inp in detached_inputs)
        return (None, None) + grads


class _Recomputed(Function):
    """The graph node of a non-reentrant checkpoint: its inputs are the region's tensor
    arguments and leaves; its backward recomputes the region (see ``_Region``)."""

    @staticmethod
    def forward(ctx, region, *inputs):
        ctx.region = region
        return tuple(out.detach() for out in region.take_outputs())

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.region.recompute(grads))


class _Region:
    """What a non-reentrant checkpoint keeps between its forward and its recomputations."""

    def __init__(self, function, args, kwargs, recompute_context, metadata_fn):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.recompute_context = recompute_context
        self.metadata_fn = metadata_fn
        tensors = _tensors_in((args, kwargs))
        self.rng_state = None
        self.autocast_state = _AutocastState(_device_type(tensors))

    def run_forward(self, forward_context, preserve_rng_state):
        tensors = _tensors_in((self.args, self.kwargs))
        if preserve_rng_state:
            self.rng_state = _RngState(tensors)
        with forward_context:
            output = self.function(*self.args, **self.kwargs)
        flat = list(output) if isinstance(output, (tuple, list)) else [output]
        self.differentiable = [
            i for i, out in enumerate(flat) if isinstance(out, Tensor) and out.requires_grad
        ]
        self.metadata = [self.metadata_fn(out) for out in flat if isinstance(out, Tensor)]
        self.arg_inputs = [t for t in tensors if t.requires_grad]
        # Recording the forward's graph shows which leaves the outputs depend on; only those
        # are kept, with the outputs' arrays: the graph and its activations go with ``flat``.
        self.leaves = _leaves_reached([flat[i] for i in self.differentiable], tensors)
        self._outputs = [flat[i] for i in self.differentiable]
        return output, flat

    def take_outputs(self):
        outputs, self._outputs = self._outputs, None
        return outputs

    def recompute(self, grads):
        args, kwargs = _tree_map(_detached, (self.args, self.kwargs))
        with contextlib.ExitStack() as stack:
            if self.rng_state is not None:
                stack.enter_context(self.rng_state.replayed())
            stack.enter_context(enable_grad())
            self.autocast_state.entered(stack)
            stack.enter_context(self.recompute_context)
            output = self.function(*args, **kwargs)
        flat = list(output) if isinstance(output, (tuple, list)) else [output]
        self._check_metadata(flat)
        outputs, grad_outputs = [], []
        for i, g in zip(self.differentiable, grads):
            if g is not None and flat[i].requires_grad:
                outputs.append(flat[i])
                grad_outputs.append(g)
        targets = [t for t in _tensors_in((args, kwargs)) if t.requires_grad] + self.leaves
        if not outputs:
            return (None,) * len(targets)
        return grad(outputs, targets, grad_outputs, allow_unused=True)

    def _check_metadata(self, flat):
        recomputed = [self.metadata_fn(out) for out in flat if isinstance(out, Tensor)]
        different = [
            (i, saved, again)
            for i, (saved, again) in enumerate(zip(self.metadata, recomputed))
            if saved != again
        ]
        if len(recomputed) != len(self.metadata) and self.metadata_fn(flat[0]) is not None:
            different.append((len(recomputed), len(self.metadata), len(recomputed)))
        if different:
            mismatched_tensors = "".join(
                f"tensor at position {i}:\nsaved metadata: {saved}\nrecomputed metadata: {again}\n"
                for i, saved, again in different
            )
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors "
                "have different metadata than during the forward pass.\n"
                f"{mismatched_tensors}."
            )


def _leaves_reached(outputs, arguments):
    """The leaves requiring grad that ``outputs``' graph reaches, not crossing the graph of
    the tensors in ``arguments`` (the region's own inputs)."""
    stop_nodes = {t._grad_fn for t in arguments if t._grad_fn is not None}
    argument_ids = {id(t) for t in arguments}
    leaves = {}
    stack = []
    for out in outputs:
        if out._grad_fn is None:
            if id(out) not in argument_ids:
                leaves[id(out)] = out
        elif out._grad_fn not in stop_nodes:
            stack.append(out._grad_fn)
    seen = set(stack)
    while stack:
        for edge in stack.pop()._edges:
            child, leaf = edge[1], edge[3]
            if child is None:
                if id(leaf) not in argument_ids:
                    leaves[id(leaf)] = leaf
            elif child not in seen and child not in stop_nodes:
                seen.add(child)
                stack.append(child)
    return list(leaves.values())


def _checkpoint_without_reentrant(
    function, preserve_rng_state, context_fn, determinism_check, args, kwargs
):
    if determinism_check not in _allowed_determinism_checks_to_fns:
        raise ValueError(
            "determinism_check should be one of "
            f"{list(_allowed_determinism_checks_to_fns.keys())}, but got {determinism_check}"
        )
    metadata_fn = _allowed_determinism_checks_to_fns[determinism_check]
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    region = _Region(function, args, kwargs, recompute_context, metadata_fn)
    output, flat = region.run_forward(forward_context, preserve_rng_state)
    if not region.differentiable:
        return output
    del flat  # (the recorded graph goes with it: the node below replaces it)
    results = _Recomputed.apply(region, *region.arg_inputs, *region.leaves)
    if not isinstance(output, (tuple, list)):
        return results[0]
    rebuilt = list(output)
    for i, out in zip(region.differentiable, results):
        rebuilt[i] = out
    return type(output)(rebuilt)


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=noop_context_fn,
    determinism_check=_DEFAULT_DETERMINISM_MODE,
    debug=False,
    early_stop=True,
    **kwargs,
):
    """Checkpoint a model or part of the model.

    Activation checkpointing trades compute for memory: the tensors computed inside
    ``function`` are not kept for the backward pass; the tensors in ``args`` are, and
    ``function`` runs again during backward to recompute what its gradient needs. Gradients
    are those of running ``function`` directly. See the module docstring for how the two
    variants differ.

    Args:
        function: what to run in the forward pass; called as ``function(*args, **kwargs)``.
        args: the inputs of ``function``.
        use_reentrant: which variant to use; pass it explicitly (without it, torch's warning
            is given and the reentrant variant used). ``use_reentrant=False`` is recommended.
        context_fn: a callable returning two context managers, around the forward and the
            recomputation respectively (``use_reentrant=False`` only).
        determinism_check: ``"default"`` compares the shapes, dtypes and devices of the
            recomputed outputs with the forward's; ``"none"`` does not
            (``use_reentrant=False`` only).
        debug: torch adds an operator trace to the errors; Ember records none
            (``use_reentrant=False`` only).
        early_stop: accepted for torch compatibility; Ember always recomputes the whole
            function (``use_reentrant=False`` only).
        preserve_rng_state: (keyword) replay the forward's random state in the recomputation,
            so that dropout masks match. Default: ``True``.
        kwargs: keyword arguments of ``function`` (``use_reentrant=False`` only).

    Returns:
        The output of ``function(*args, **kwargs)``.

    Example:
        >>> y = checkpoint(block, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be "
            "passed explicitly. Starting in PyTorch 2.9, calling checkpoint "
            "without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(
        function, preserve, context_fn, determinism_check, args, kwargs
    )


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Checkpoint a sequential model to save memory.

    The modules or functions run in order, split into ``segments`` chunks; every chunk but
    the last is checkpointed (its inputs are kept, its activations recomputed in backward).

    Args:
        functions: an ``nn.Sequential`` or a list of modules or functions to run in order.
        segments: the number of chunks.
        input: the tensor given to the first function.
        use_reentrant: as for ``checkpoint``; pass it explicitly.
        preserve_rng_state: (keyword) as for ``checkpoint``. Default: ``True``.

    Returns:
        The output of running ``functions`` in order on ``input``.

    Example:
        >>> out = checkpoint_sequential(model, 2, x, use_reentrant=False)
    """
    from ..nn import Sequential  # (nn's modules use checkpoint-free autograd; no cycle)

    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
            "parameter should be passed explicitly. "
            "In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    # the last chunk has to be non-volatile
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(
            run_function(start, end, functions),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return run_function(end + 1, len(functions) - 1, functions)(input)
