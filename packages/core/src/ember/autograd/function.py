"""Functions, graph nodes and the backward engine.

An operation is a ``Function`` subclass: ``forward(ctx, *args, **kwargs)`` computes on raw
arrays (numpy or cupy) and returns an array or a tuple of arrays; ``backward(ctx, *grads)``
is written with ember tensor operations and returns one gradient (or ``None``) per positional
input. Because backward is made of differentiable operations, higher-order gradients come
free: the engine records them only when ``create_graph=True``.

User-defined operations subclass ``ember.autograd.Function`` instead, whose ``forward``
receives and returns tensors, exactly as in torch.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .._dtype import from_numpy
from .._tensor import Tensor
from .grad_mode import _state as _grad_mode

__all__ = ["Function", "Node", "backward", "grad"]

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """A recorded application of a Function: the ``grad_fn`` of its outputs and its ``ctx``.

    Forward may store plain attributes on it (``ctx.dim = dim``) and call
    ``save_for_backward``; backward reads them and ``saved_tensors``.
    """

    # Class-level defaults: a node writes only what differs, which keeps recording cheap.
    # One edge per positional input of forward: None when no gradient flows there, else
    # (grad_fn, output_nr, leaf tensor or None, shape, numpy dtype). Edges, not the input
    # tensors, so the graph keeps alive only what backward saved.
    _edges = ()
    needs_input_grad = ()
    _to_save = ()
    _saved = None
    _outputs = None  # output arrays, kept only when forward saved one of them
    _freed = False
    _hooks = None  # {output_nr: [hook]}: tensor hooks of non-leaf outputs
    _retained = None  # {output_nr: tensor}: outputs that called retain_grad()
    _n_outputs = 1
    _output_meta = None  # [(shape, dtype, array module)] of a multi-output node

    def __init__(self, fn):
        self.fn = fn

    def save_for_backward(self, *values):
        """Keep inputs, outputs or intermediates of forward for backward.

        Pass the very arrays forward received or returned (or, in a user-defined Function, the
        tensors): inputs and outputs come back in backward as graph-connected tensors, so
        gradients of gradients flow through them; anything else comes back as a constant.
        """
        self._to_save = values

    def mark_non_differentiable(self, *values):
        """Accepted for torch compatibility; integer outputs never require grad in Ember."""

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED)
        if self._saved is None:
            return ()
        return tuple(self._unpack(item) for item in self._saved)

    def _unpack(self, item):
        kind, value = item
        if kind == "output":
            out = Tensor._make(self._outputs[value], True)
            out._grad_fn = self
            out._output_nr = value
            return out
        if value is None or isinstance(value, Tensor) or value.__class__ in (int, float, bool):
            return value
        return Tensor._make(value)

    def _pack(self, inputs, raw_inputs, returned, outputs):
        # Identify what forward saved by identity: an input comes back as the input tensor, an
        # output is re-created as a graph-connected tensor, so gradients of gradients flow
        # through both; holding the output *array* rather than the output tensor avoids a
        # reference cycle tensor -> grad_fn -> tensor.
        packed = []
        for value in self._to_save:
            item = ("const", value)
            if value is not None:
                for i, raw in enumerate(raw_inputs):
                    if raw is value and isinstance(inputs[i], Tensor):
                        item = ("const", inputs[i])
                        break
                else:
                    # forward may have saved a numpy scalar that became a 0-d array
                    for k, out in enumerate(returned):
                        if out is value or outputs[k] is value:
                            item = ("output", k)
                            self._outputs = outputs
                            break
            packed.append(item)
        self._saved = packed
        self._to_save = ()

    def name(self):
        return f"{self.fn.__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """``((node_or_None, output_nr), ...)`` for each input, like torch's (leaves give None)."""
        return tuple((None, 0) if e is None else (e[0], e[1]) for e in self._edges)

    def register_hook(self, hook):
        raise NotImplementedError("Node hooks are not supported; use Tensor.register_hook")

    def _release(self):
        self._saved = None
        self._outputs = None
        self._freed = True


def _as_array(y):
    # numpy reductions and 0-d arithmetic return numpy scalars; a tensor always holds an array
    return np.asarray(y) if isinstance(y, np.generic) else y


class Function:
    """Base class of every differentiable operation.

    Built-in operations work on arrays: subclass, write ``forward(ctx, *arrays, **params)``
    and ``backward(ctx, *grads)`` as static methods, and call ``Op.apply(*tensors, **params)``.
    Non-tensor positional arguments are passed to forward unchanged and get no gradient.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(f"{ctx.name()} is not differentiable")

    @classmethod
    def apply(cls, *args, **kwargs):
        raw = []
        needs_grad = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._data)
                needs_grad = needs_grad or a._requires_grad
            else:
                raw.append(a)
        if backend.cp is not None:
            raw = _check_same_device(raw)
        if needs_grad and _grad_mode.enabled:
            ctx = Node(cls)
            return _record(ctx, args, raw, cls.forward(ctx, *raw, **kwargs))
        # Nothing to record: forward writes into a scratch context that is dropped at once.
        y = cls.forward(_Scratch(cls), *raw, **kwargs)
        if y.__class__ is tuple:
            return tuple(Tensor._make(_as_array(o)) for o in y)
        return Tensor._make(y if y.__class__ is np.ndarray else _as_array(y))


class _Scratch:
    """The ``ctx`` of an operation that records no graph: accepts and forgets everything."""

    needs_input_grad = ()

    def __init__(self, fn):
        self.fn = fn

    def save_for_backward(self, *values):
        pass

    def mark_non_differentiable(self, *values):
        pass


def _record(ctx, args, raw, y):
    """Wrap forward's array(s) in tensors and record ``ctx`` as their ``grad_fn`` (only
    floating-point outputs require grad). The hot path of every differentiable operation."""
    multi = y.__class__ is tuple
    returned = y if multi else (y,)
    outputs = tuple(o if o.__class__ is np.ndarray else _as_array(o) for o in returned)
    edges = []
    needs = []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            fn = a._grad_fn
            edges.append(
                (fn, a._output_nr, a if fn is None else None, a._data.shape, a._data.dtype)
            )
            needs.append(True)
        else:
            edges.append(None)
            needs.append(False)
    ctx._edges = tuple(edges)
    ctx.needs_input_grad = tuple(needs)
    if _returns_an_input(outputs, raw):
        # forward handed an input array back unchanged; the output gets its own view
        outputs = tuple(o.view() if _returns_an_input((o,), raw) else o for o in outputs)
    if ctx._to_save:
        ctx._pack(args, raw, returned, outputs)
    results = []
    for k, o in enumerate(outputs):
        if o.dtype.kind == "f":
            t = Tensor._make(o, True)
            t._grad_fn = ctx
            t._output_nr = k
        else:
            t = Tensor._make(o)
        results.append(t)
    if multi:
        ctx._n_outputs = len(outputs)
        ctx._output_meta = [(o.shape, o.dtype, backend.array_module(o)) for o in outputs]
        return tuple(results)
    return results[0]


def _returns_an_input(outputs, raw):
    for o in outputs:
        for a in raw:
            if o is a:
                return True
    return False


def _check_same_device(raw):
    """torch's device rule: all array arguments on one device, except that 0-d CPU arrays may
    join a GPU operation as scalars (they are handed to cupy as numpy scalars)."""
    devices = set()
    has_scalar_array = False
    for a in raw:
        if isinstance(a, np.ndarray):
            if a.ndim == 0:
                has_scalar_array = True
            else:
                devices.add(backend.device_of(a))
        elif isinstance(a, backend.cp.ndarray):
            devices.add(backend.device_of(a))
    if len(devices) > 1:
        a, b = sorted(str(d) for d in devices)[::-1][:2]
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{a} and {b}!"
        )
    if has_scalar_array and devices and next(iter(devices)).type == "cuda":
        return [a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a for a in raw]
    return raw


# ---------------------------------------------------------------------------------------------
# The engine


def _run_hooks(hooks, g):
    for hook in hooks:
        result = hook(g)
        if result is not None:
            g = result
    return g


def _accumulate(leaf, g, create_graph, handed_out):
    """Add ``g`` into ``leaf.grad``, in place when no graph is being built, like torch."""
    if create_graph or (leaf.grad is not None and leaf.grad._requires_grad):
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    if leaf.grad is None:
        data = g._data
        # Steal the array when nothing else can see it, else copy: a view (e.g. a broadcast
        # read-only one) or an array already given to another tensor must not become a
        # ``.grad`` that later in-place updates (clip_grad_norm_, accumulation) would write to.
        if data.base is not None or id(data) in handed_out:
            data = data.copy()
        handed_out.add(id(data))
        leaf.grad = Tensor._make(data)
    else:
        leaf.grad._data += g._data


def _graph_dependencies(roots):
    """For each node reachable from ``roots``: how many edges lead into it."""
    deps = {}
    stack = list(roots)
    seen = set(map(id, stack))
    while stack:
        node = stack.pop()
        for edge in node._edges:
            child = edge[0] if edge is not None else None
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return deps


def _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None):
    """Back-propagate ``grad_outputs`` from ``outputs``; iterative, so any depth works.

    With ``inputs`` given (``autograd.grad``), gradients for those tensors are returned and no
    ``.grad`` is touched; otherwise they accumulate into the ``.grad`` of the graph's leaves.
    """
    capture = results = None
    if inputs is not None:
        capture = {}  # (node or leaf id) -> slot in the result
        for i, t in enumerate(inputs):
            key = (id(t._grad_fn), t._output_nr) if t._grad_fn is not None else id(t)
            capture.setdefault(key, []).append(i)
        results = [None] * len(inputs)

    def deliver_leaf(leaf, g):
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        if capture is None:
            _accumulate(leaf, g, create_graph, handed_out)
        else:
            for slot in capture.get(id(leaf), ()):
                results[slot] = g if results[slot] is None else results[slot] + g

    handed_out = {id(g._data) for g in grad_outputs}
    buffers = {}
    roots = []
    for t, g in zip(outputs, grad_outputs):
        node = t._grad_fn
        if node is None:
            deliver_leaf(t, g)
            continue
        buf = buffers.setdefault(node, [None] * node._n_outputs)
        k = t._output_nr
        buf[k] = g if buf[k] is None else buf[k] + g
        if node not in roots:
            roots.append(node)
    deps = _graph_dependencies(roots)
    ready = [n for n in roots if deps.get(n, 0) == 0]

    prev_mode = _grad_mode.enabled
    _grad_mode.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if node._hooks is not None or node._retained is not None or capture is not None:
                _visit_outputs(node, grads, create_graph, capture, results)
            if node._freed:
                raise RuntimeError(_FREED)
            if grads[0] is None and (len(grads) == 1 or all(g is None for g in grads)):
                input_grads = ()  # nothing flows through: the children only lose a dependency
            else:
                input_grads = _call_backward(node, grads)
            if not retain_graph:
                node._release()
            for i, edge in enumerate(node._edges):
                if edge is None:
                    continue
                child, k, leaf, shape, np_dtype = edge
                g = input_grads[i] if input_grads else None
                if g is not None:
                    # undo broadcasting and promotion: the gradient takes its input's shape
                    # and dtype
                    if g._data.shape != shape:
                        g = g.sum_to_size(shape)
                    if g._data.dtype != np_dtype:
                        g = g.to(from_numpy(np_dtype))
                if child is None:
                    if g is not None:
                        deliver_leaf(leaf, g)
                    continue
                buf = buffers.get(child)
                if buf is None:
                    buf = buffers[child] = [None] * child._n_outputs
                if g is not None:
                    buf[k] = g if buf[k] is None else buf[k] + g
                remaining = deps[child] - 1
                deps[child] = remaining
                if remaining == 0:
                    ready.append(child)
    finally:
        _grad_mode.enabled = prev_mode
    return results if capture is not None else None


def _visit_outputs(node, grads, create_graph, capture, results):
    """Before a node runs: its outputs' tensor hooks, retained grads and captured grads."""
    for k, g in enumerate(grads):
        if g is None:
            continue
        if node._hooks and k in node._hooks:
            g = grads[k] = _run_hooks(node._hooks[k], g)
        if node._retained and k in node._retained:
            node._retained[k].grad = g if create_graph else g.detach()
        if capture is not None:
            for slot in capture.get((id(node), k), ()):
                results[slot] = g


def _call_backward(node, grads):
    if node._n_outputs > 1:
        # outputs that received no gradient contribute zeros
        grads = [
            g if g is not None else Tensor._make(xp.zeros(shape, dtype))
            for g, (shape, dtype, xp) in zip(grads, node._output_meta)
        ]
    input_grads = node.fn.backward(node, *grads)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    missing = len(node._edges) - len(input_grads)
    if missing > 0 and all(e is None for e in node._edges[len(input_grads) :]):
        # trailing non-tensor arguments (dims, dtypes, flags) need no gradient
        input_grads += (None,) * missing
    elif missing:
        # torch's message for a Function whose backward returns the wrong number of grads
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {len(node._edges)}, got {len(input_grads)})"
        )
    return input_grads


def _make_grads(outputs, grad_outputs):
    grads = []
    for t, g in zip(outputs, grad_outputs):
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {t.dtype}"
                )
            xp = backend.array_module(t._data)
            g = Tensor._make(xp.ones_like(t._data))
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
        elif g._data.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[0] has a shape of {tuple(g.shape)} and "
                f"output[0] has a shape of {tuple(t.shape)}."
            )
        grads.append(g)
    return grads


def _as_tuple(x):
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into the leaves' ``.grad`` the gradient of ``tensors`` (sum of the graphs).

    Args:
        tensors: tensor or sequence of tensors whose gradient is computed.
        grad_tensors: the gradient w.r.t. each of ``tensors``; ``None`` allowed for scalars.
        retain_graph: keep the graph for another backward (defaults to ``create_graph``).
        create_graph: record the backward pass, for higher-order gradients.
        inputs: accumulate only into these tensors' ``.grad`` (default: every leaf).
    """
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    for t in tensors:
        if not t._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
    grads = _make_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        _run_backward(tensors, grads, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    results = _run_backward(tensors, grads, retain_graph, create_graph, inputs)
    for t, g in zip(inputs, results):
        if g is not None:
            _accumulate(t, g, create_graph, set())


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Compute and return the gradients of ``outputs`` with respect to ``inputs``.

    Unlike ``backward``, nothing is accumulated into ``.grad``.

    Returns:
        A tuple with one gradient per input (``None`` for an unused input when
        ``allow_unused=True``; zeros when ``materialize_grads=True``).
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) does not require grad"
            )
    for t in outputs:
        if not t._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
    grads = _make_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    results = _run_backward(outputs, grads, retain_graph, create_graph, inputs)
    for i, g in enumerate(results):
        if g is not None:
            continue
        if materialize_grads:
            results[i] = inputs[i].new_zeros(inputs[i].shape)
        elif not allow_unused:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior."
            )
    return tuple(results)
