"""Functions, graph nodes and the backward engine.

An operation is a ``Function`` subclass: ``forward(ctx, *args, **kwargs)`` computes on raw
arrays (numpy or cupy) and returns an array or a tuple of arrays; ``backward(ctx, *grads)``
is written with ember tensor operations and returns one gradient (or ``None``) per positional
input (or ``formula``, arithmetic that holds for arrays and tensors alike: see ``Function``).
Because backward is made of differentiable operations, higher-order gradients come free: the
engine records them only when ``create_graph=True``, and otherwise passes gradients between
operations as raw arrays.

User-defined operations subclass ``ember.autograd.Function`` instead, whose ``forward``
receives and returns tensors, exactly as in torch.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush, heapreplace
from itertools import count

import numpy as np

from .. import _versions, backend
from .._dtype import from_numpy
from .._tensor import Tensor
from . import anomaly_mode as _anomaly_mode
from .grad_mode import _state as _grad_mode

__all__ = ["Function", "Node", "backward", "grad"]

_make = Tensor._make  # a module global is found faster than a class attribute
_next_seq = count().__next__  # the order nodes are recorded in (see _backward_pass)
_anomaly = _anomaly_mode._state

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

    @staticmethod
    def _new(fn):
        """A node for an application of ``fn``. (Made by a function rather than ``__init__``:
        calling a class that has a Python ``__init__`` costs more than calling a function.)"""
        # Every attribute set here, on one class of node: the interpreter then specialises the
        # attribute reads of recording and of the engine (instance attributes of one type):
        # 2.5% fewer instructions on a chain of small operations than class-level defaults
        # or a node class per Function.
        self = Node()  # (no __init__: the interpreter's cheapest way to make one)
        self.fn = fn
        # after every node its inputs come from (a view's history rebuilt while connecting it
        # gets a later one: the node then takes another, see Function.apply)
        self._seq = _next_seq()
        # One edge per input that needs a gradient: (position among forward's arguments,
        # grad_fn, output_nr, the tensor if it is a leaf else None, shape, numpy dtype).
        # Edges, not the input tensors, so the graph keeps alive only what backward saved.
        self._edges = ()
        self.needs_input_grad = ()
        self._to_save = ()
        self._saved = None  # what forward saved, as it saved it
        self._sources = ()  # where each saved value came from (see apply)
        self._saved_at = None  # the in-place write clock when they were saved (see _versions)
        self._freed = False
        # {output_nr: [hook]}: tensor hooks of non-leaf outputs; at least {} when _retained
        # is set, so that the engine checks one attribute
        self._hooks = None
        self._retained = None  # {output_nr: tensor}: outputs that called retain_grad()
        self._n_outputs = 1
        self._output_meta = None  # [(shape, dtype, array module)] of a multi-output node
        return self

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
        return tuple(map(self._saved_tensor, self._saved, self._sources))

    def _saved_tensor(self, value, source):
        if value is None or value.__class__ in (int, float, bool) or isinstance(value, Tensor):
            return value
        if source is not None and source < 0:  # an output
            out = _as_array(value)
            if out.dtype.kind in "fc":
                return Tensor._make(out, True, self, -1 - source)
        elif source is not None:
            for edge in self._edges:
                if edge[0] == source:  # an input that requires grad
                    leaf = edge[3]
                    return leaf if leaf is not None else Tensor._make(value, True, *edge[1:3])
        return Tensor._make(_as_array(value))

    def name(self):
        return f"{self.fn.__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """``((node_or_None, output_nr), ...)`` for each input, like torch's (leaves give None)."""
        found = {edge[0]: (edge[1], edge[2]) for edge in self._edges}
        return tuple(found.get(i, (None, 0)) for i in range(len(self.needs_input_grad)))

    def register_hook(self, hook):
        raise NotImplementedError("Node hooks are not supported; use Tensor.register_hook")


_new_node = Node._new


def keep_saved_copies(out, array, since):
    """Before ``array`` is overwritten in place by ``out``, computed from it: the nodes
    recorded on the way (those after the sequence number ``since``) that saved ``array`` keep
    one copy of it instead. Nothing is copied when none saved it."""
    copy = None
    seen = set()
    stack = [out._grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node._seq <= since or node in seen:
            continue
        seen.add(node)
        if node._saved is not None and any(v is array for v in node._saved):
            if copy is None:
                copy = array.copy()
            node._saved = tuple([copy if v is array else v for v in node._saved])
        stack.extend(edge[1] for edge in node._edges)


def _as_array(y):
    # numpy reductions and 0-d arithmetic return numpy scalars; a tensor always holds an array
    return np.asarray(y) if isinstance(y, np.generic) else y


class Function:
    """Base class of every differentiable operation.

    Built-in operations work on arrays: subclass, write ``forward(ctx, *arrays, **params)``
    and ``backward(ctx, *grads)`` as static methods, and call ``Op.apply(*tensors, **params)``.
    Non-tensor positional arguments are passed to forward unchanged and get no gradient.

    A single-output operation whose gradient is arithmetic on ``gy`` and the saved values may
    define ``formula(ctx, gy, saved)`` instead of ``backward``, written with operators alone so
    that it holds for arrays and tensors alike: ``saved`` is what forward saved, and the engine
    evaluates it on raw arrays when no graph is recorded (one numpy expression instead of
    several tensor operations: tanh's backward, 16x16, 1.6 us instead of 5.8 us), on tensors
    when it records the graph of higher-order gradients.
    """

    formula = None
    _user_defined = False  # (True for subclasses of ember.autograd.Function)
    # f(z) is complex-differentiable and backward writes gy * f'(z) as for real numbers; the
    # engine conjugates it into the complex rule (see _for_complex)
    holomorphic = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(f"{ctx.name()} is not differentiable")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arguments (tensors as their arrays) and, if any input
        requires grad, record the application for backward.

        The hot path of every operation, written out in one function: each Python call it
        saves (such as a helper to connect the inputs or one to wrap the output) takes 1-2% off
        a chain of small operations.
        """
        ctx = _new_node(cls)
        if _grad_mode.enabled:
            # Connect the inputs: one edge per input that requires grad (see Node._new)
            raw = []
            edges = []
            needs = []
            for a in args:
                if isinstance(a, Tensor):
                    if a._base is not None and getattr(a._base, "_history_at", 0) > a._history_at:
                        _refresh_view(a)  # the base was rebased by an in-place write since
                        ctx._seq = _next_seq()  # after the history just made
                    data = a._data
                    if a._requires_grad:
                        fn = a._grad_fn
                        edges.append(
                            (len(raw), fn, a._output_nr, None if fn else a, data.shape, data.dtype)
                        )
                        needs.append(True)
                    else:
                        needs.append(False)
                    raw.append(data)
                else:
                    needs.append(False)
                    raw.append(a)
            ctx._edges = edges
            ctx.needs_input_grad = tuple(needs)
        else:
            raw = [a._data if isinstance(a, Tensor) else a for a in args]
        if backend.cp is not None:
            raw = _check_same_device(raw)
        y = cls.forward(ctx, *raw, **kwargs)
        multi = y.__class__ is tuple
        if not ctx._edges:  # nothing to record: the ctx is dropped
            if multi:
                return tuple([_viewed(_make(_as_array(o)), args) for o in y])
            out = y if y.__class__ is np.ndarray else _as_array(y)
            return _make(out) if out.base is None else _viewed(_make(out), args)
        if _anomaly.enabled:
            _anomaly_mode.record_forward(ctx)
        to_save = ctx._to_save
        if to_save:
            # Saved values are kept as forward gave them, with where each came from: an input
            # (its position) or an output (-1 - its number) comes back from saved_tensors as a
            # graph-connected tensor. An output is held as its array, never its tensor, which
            # would make a reference cycle tensor -> grad_fn -> tensor.
            sources = []
            for value in to_save:
                i = 0
                for a in raw:
                    if a is value:
                        break
                    i += 1
                else:
                    i = _output_number(value, y) if multi else -1 if value is y else None
                sources.append(i)
            ctx._saved = to_save
            ctx._sources = sources
            ctx._saved_at = _versions.clock
            ctx._to_save = ()
        if multi:
            return _record_outputs(ctx, args, raw, y)
        out = y if y.__class__ is np.ndarray else _as_array(y)
        for a in raw:
            if a is out:  # forward handed an input back unchanged: the output gets its own view
                out = out.view()
        kind = out.dtype.kind
        if kind == "f":
            t = _make(out, True, ctx)
        elif kind == "c":
            t = _make(out, True, _for_complex(ctx))
        else:
            t = _make(out)
        return t if out.base is None else _viewed(t, args)


def _output_number(value, outputs):
    """-1 - the position of ``value`` among ``outputs``, or None."""
    for k, out in enumerate(outputs):
        if out is value:
            return -1 - k
    return None


def _refresh_view(view):
    from ..ops.indexing import refresh_view  # (ops import this module)

    refresh_view(view)


def _for_complex(ctx):
    """``ctx``, recording a Function that gave a complex output.

    torch's convention for complex gradients: for a real loss L of z = x + iy, the gradient
    is dL/dx + i dL/dy, so the backward of a holomorphic f is ``gy * conj(f'(z))``. A
    Function marked ``holomorphic`` writes its gradient ``gy * f'(z)`` as for real numbers;
    conjugating ``gy`` on the way in and the gradients on the way out turns that into the
    complex rule: conj(conj(gy) * f'(z)) = gy * conj(f'(z)). The switch happens here, on a
    complex output only, so real operations pay nothing for it.
    """
    fn = ctx.fn
    if fn.holomorphic:
        ctx.fn = _conjugated(fn)
    return ctx


def _conjugated(fn):
    """The complex form of the holomorphic Function ``fn`` (made once, then kept)."""
    variant = fn.__dict__.get("_conjugated")
    if variant is not None:
        return variant

    def conj(g):
        return None if g is None else g.conj()

    def formula(ctx, gy, saved):
        grads = fn.formula(ctx, gy.conj(), saved)
        return tuple(map(conj, grads)) if grads.__class__ is tuple else conj(grads)

    def backward(ctx, *grads):
        result = fn.backward(ctx, *map(conj, grads))
        return tuple(map(conj, result)) if isinstance(result, tuple) else conj(result)

    body = {"holomorphic": False, "__qualname__": fn.__qualname__}
    body.update({"formula": staticmethod(formula)} if fn.formula else {})
    body["backward"] = staticmethod(backward)
    variant = type(fn.__name__, (fn,), body)
    fn._conjugated = variant
    return variant


def _record_outputs(ctx, args, raw, ys):
    """The end of ``Function.apply`` for a forward that returned a tuple of arrays (a
    user-defined Function's may hold other values too, passed through as torch does)."""
    outputs = []
    for y in ys:
        out = _as_array(y)
        for a in raw:
            if a is out:
                out = out.view()
        outputs.append(out)
    ctx._n_outputs = len(outputs)
    ctx._output_meta = [
        (o.shape, o.dtype, backend.array_module(o)) if _is_array(o) else None for o in outputs
    ]
    return tuple(
        [
            o
            if not _is_array(o)
            else _viewed(_make(o, True, ctx, k) if o.dtype.kind in "fc" else _make(o), args)
            for k, o in enumerate(outputs)
        ]
    )


def _is_array(value):
    return isinstance(value, np.ndarray) or backend.is_cuda_array(value)


def _viewed(t, args):
    """``t``, marked as a view of the input tensor whose memory its array shares, if any (its
    ``_base``: that input's own base if the input is a view too), as torch's views are."""
    storage = t._data.base
    if storage is None:
        return t
    for a in args:
        if isinstance(a, Tensor):
            data = a._data
            if data is storage or data.base is storage:
                t._base = a if a._base is None else a._base
                t._history_at = _versions.clock
                break
    return t


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


def _tensor(g):
    """An array gradient as a tensor (numpy's 0-d arithmetic gives numpy scalars)."""
    return Tensor._make(_as_array(g))


def _run_hooks(hooks, g, create_graph):
    t = g if create_graph else _tensor(g)
    for hook in hooks:
        result = hook(t)
        if result is not None:
            t = result
    return t if create_graph else t._data


def _accumulate(leaf, g, create_graph, handed_out, incoming=(), returned=()):
    """Add ``g`` into ``leaf.grad``, in place when no graph is being built, like torch.

    ``g`` is a tensor when ``create_graph``, else an array; ``incoming`` and ``returned``: the
    gradients into and out of the backward of the node that produced it.
    """
    if create_graph:
        leaf._grad = g if leaf._grad is None else leaf._grad + g
    elif leaf._grad is None:
        # Steal the array when nothing else can see it, else copy: a view (e.g. a broadcast
        # read-only one) or an array that another tensor or gradient holds must not become a
        # ``.grad`` that later in-place updates (accumulation, clip_grad_norm_) would write to.
        data = _as_array(g)
        if data.base is not None or id(data) in handed_out or _shared(data, incoming, returned):
            data = data.copy()
        handed_out.add(id(data))
        leaf._grad = Tensor._make(data)
    elif leaf._grad._requires_grad:  # a gradient with a graph, from a create_graph backward
        leaf._grad = leaf._grad + _tensor(g)
    else:
        leaf._grad._data += g


def _shared(data, incoming, returned):
    """Whether a node's backward passed on one of its incoming gradients as ``data`` (which
    other nodes, hooks or retained gradients may hold) or returned it for two inputs (as
    ``a + b`` does)."""
    return any(g is data for g in incoming) or sum(g is data for g in returned) > 1


def _hooked_leaves(roots, leaf_roots):
    """For each leaf with tensor or post-accumulate-grad hooks among ``leaf_roots`` or reachable
    from ``roots``, by id: ``[gradients still to come (one per edge into it, one per time it is
    a root), the leaf, their sum so far]``."""
    hooked = {}

    def count(leaf):
        if leaf._hooks or leaf._post_accumulate_grad_hooks:
            hooked.setdefault(id(leaf), [0, leaf, None])[0] += 1

    for leaf in leaf_roots:
        count(leaf)
    seen = set(roots)
    stack = list(roots)
    while stack:
        for edge in stack.pop()._edges:
            child = edge[1]
            if child is None:
                count(edge[3])
            elif child not in seen:
                seen.add(child)
                stack.append(child)
    return hooked


def _paths_to_inputs(roots, capture):
    """For ``autograd.grad``: the nodes on a path from ``roots`` to one of its inputs (whose
    nodes, and leaves by id, are ``capture``'s keys), and those of them that must run. An
    input's node whose own inputs lead to no other input is only visited, for the gradient
    captured at its output, as torch runs only what the inputs need."""
    input_nodes = {key[0] for key in capture if key.__class__ is tuple}
    leads = {}  # node -> whether it is on a path to an input (None: being visited)
    runs = set()
    stack = [(root, False) for root in roots]
    while stack:
        node, visited = stack.pop()
        if visited:
            run = any(
                id(leaf) in capture if child is None else leads[child]
                for _, child, _, leaf, _, _ in node._edges
            )
            if run:
                runs.add(node)
            leads[node] = run or id(node) in input_nodes
        elif node not in leads:
            leads[node] = None
            stack.append((node, True))
            stack.extend((edge[1], False) for edge in node._edges if edge[1] is not None)
    return {node for node, lead in leads.items() if lead}, runs


class _Pass:
    """A backward pass that is running: whether it accumulates into ``.grad`` (no
    ``inputs``), and the callbacks queued to run when it has finished."""

    __slots__ = ("accumulates", "callbacks")

    def __init__(self, accumulates):
        self.accumulates = accumulates
        self.callbacks = []


_passes = []  # the backward passes running (nested passes: the innermost last)


def _is_checkpoint_valid():
    """Whether a reentrant checkpoint may run its inner backward now: not inside a pass that
    captures gradients (``autograd.grad``, ``backward(inputs=...)``), whose leaves would miss
    what the inner pass accumulates into ``.grad``."""
    return not _passes or _passes[-1].accumulates


def queue_callback(callback):
    """Run ``callback()`` when the backward pass now running has finished (torch's
    ``Variable._execution_engine.queue_callback``); a callback may queue more. It is how
    ``DistributedDataParallel`` waits for its gradient reductions at the end of backward.

    Raises:
        RuntimeError: outside a backward pass (call it from a hook).
    """
    if not _passes:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _passes[-1].callbacks.append(callback)


def _run_post_accumulate_grad_hooks(leaf):
    for hook in tuple(leaf._post_accumulate_grad_hooks):
        hook(leaf)


def _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None):
    """``_backward_pass``, then the callbacks queued during it (only if it succeeded)."""
    running = _Pass(inputs is None)
    _passes.append(running)
    try:
        results = _backward_pass(outputs, grad_outputs, retain_graph, create_graph, inputs)
        for callback in running.callbacks:  # (a callback may queue more: the loop runs them)
            callback()
    finally:
        _passes.pop()
    return results


def _backward_pass(outputs, grad_outputs, retain_graph, create_graph, inputs=None):
    """Back-propagate ``grad_outputs`` from ``outputs``; iterative, so any depth works.

    With ``inputs`` given (``autograd.grad``), gradients for those tensors are returned and no
    ``.grad`` is touched; otherwise they accumulate into the ``.grad`` of the graph's leaves.

    Gradients flow as tensors when ``create_graph`` (backward records its graph), else as raw
    arrays: no tensor wrapper per gradient, and a Function's ``formula`` runs on arrays.
    User code sees tensors either way (hooks, retained and captured gradients, ``.grad``).
    """
    capture = results = None
    if inputs is not None:
        capture = {}  # (node or leaf id) -> slot in the result
        for i, t in enumerate(inputs):
            key = (id(t._grad_fn), t._output_nr) if t._grad_fn is not None else id(t)
            capture.setdefault(key, []).append(i)
        results = [None] * len(inputs)

    def deliver_leaf(leaf, g, incoming=(), returned=(), run_hooks=True):
        """Hand ``g`` to ``leaf``: into ``autograd.grad``'s result, else into ``.grad``."""
        if run_hooks and leaf._hooks:  # (registered during this pass: edges were not counted)
            g = _run_hooks(leaf._hooks, g, create_graph)
            handed_out.add(id(g))  # hooks may keep the gradient, or return one of their own
        if capture is not None:
            t = g if create_graph else _tensor(g)
            for slot in capture.get(id(leaf), ()):
                results[slot] = t if results[slot] is None else results[slot] + t
            return
        _accumulate(leaf, g, create_graph, handed_out, incoming, returned)

    def to_hooked_leaf(leaf, g):
        """One of the gradients (or None) of a leaf with hooks: they are summed until the last
        has come (or the pass ends), then delivered as one, as torch's AccumulateGrad does."""
        entry = hooked[id(leaf)]
        entry[0] -= 1
        if g is not None:
            entry[2] = g if entry[2] is None else entry[2] + g
        if entry[0] == 0:
            finish_leaf(entry)

    def finish_leaf(entry):
        """A hooked leaf's whole gradient: its tensor hooks run once on it, it is delivered,
        then the post-accumulate-grad hooks run (when it accumulates into ``.grad``)."""
        _, leaf, g = entry
        entry[2] = None
        if g is None or (capture is not None and id(leaf) not in capture):
            return  # (autograd.grad runs no hook of a leaf that is not one of its inputs)
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g, create_graph)
        handed_out.add(id(g))  # it may be another node's gradient too, or a hook's
        deliver_leaf(leaf, g, run_hooks=False)
        if leaf._post_accumulate_grad_hooks and capture is None:
            _run_post_accumulate_grad_hooks(leaf)

    handed_out = {id(g._data) for g in grad_outputs}  # (see _accumulate)
    buffers = {}  # node -> [gradient or None per output], filled as its consumers run
    roots = []
    leaf_roots = []
    for t, g in zip(outputs, grad_outputs):
        g = g if create_graph else g._data
        node = t._grad_fn
        if node is None:
            leaf_roots.append((t, g))
            continue
        buf = buffers.setdefault(node, [None] * node._n_outputs)
        k = t._output_nr
        buf[k] = g if buf[k] is None else buf[k] + g
        if node not in roots:
            roots.append(node)
    # (leaves with hooks wait for all their gradients: counted only once such hooks exist,
    # which the common case never pays for)
    hooked = None
    if Tensor._leaf_hooks_used:
        hooked = _hooked_leaves(roots, [t for t, _ in leaf_roots])
    for t, g in leaf_roots:
        if hooked and id(t) in hooked:
            to_hooked_leaf(t, g)
        else:
            deliver_leaf(t, g)
    needed = runs = None
    if capture is not None:
        needed, runs = _paths_to_inputs(roots, capture)
        roots = [node for node in roots if node in needed]
    # Nodes run in the reverse of the order they were recorded in (highest ``_seq`` first, as
    # torch's engine prefers): every consumer of a node was recorded after it, so by the time
    # a node runs, all the gradient it can get has arrived. A node enters the queue when its
    # first gradient does; one that no gradient reaches never runs.
    # The queue is a heap of (-seq, node), but the node the last one made ready is held aside
    # (in ``fresh``): in a chain each node is then run straight after the one before it, with
    # no heap operation.
    late = {}  # id -> leaf given a post-accumulate-grad hook during the pass (see the end)
    queue = [(-node._seq, node) for node in roots]
    heapify(queue)
    node = heappop(queue)[1] if queue else None
    fresh = None

    prev_mode = _grad_mode.enabled
    _grad_mode.enabled = create_graph
    check_nan = _anomaly.enabled and _anomaly.check_nan
    try:
        with backend.quiet():  # torch never warns about inf/nan gradients
            while node is not None:
                if node._freed:
                    raise RuntimeError(_FREED)
                grads = buffers.pop(node)
                if node._hooks is not None or capture is not None:
                    _visit_outputs(node, grads, create_graph, capture, results)
                edges = node._edges
                if runs is not None and node not in runs:
                    edges = ()  # an input of autograd.grad that leads to no other: not run
                else:
                    saved_at = node._saved_at
                    if saved_at is not None and saved_at != _versions.clock:
                        _check_saved(node)
                    formula = node.fn.formula
                    if formula is not None and not create_graph:  # the common case, inline
                        input_grads = formula(node, grads[0], node._saved)
                        if input_grads.__class__ is not tuple:
                            input_grads = (input_grads,)
                    else:
                        input_grads = _call_backward(node, grads, create_graph)
                    if check_nan:
                        _anomaly_mode.check_nan(node, input_grads)
                    if not retain_graph and node._saved is not None:  # free what it saved
                        node._saved = None
                        node._freed = True
                for i, child, k, leaf, shape, dtype in edges:
                    g = input_grads[i]
                    if g is None:
                        if hooked and child is None and id(leaf) in hooked:
                            to_hooked_leaf(leaf, None)
                        continue
                    data = g._data if create_graph else g
                    # (`is not`: numpy's dtypes of one kind are one object; another object of
                    # an equal dtype only costs _conform's checks)
                    if data.shape != shape or data.dtype is not dtype:
                        g = _conform(g, shape, dtype, create_graph)
                    if child is None:
                        grad = leaf._grad
                        if hooked and id(leaf) in hooked:
                            to_hooked_leaf(leaf, g)
                        elif (
                            grad is None
                            or leaf._hooks
                            or create_graph
                            or capture is not None
                            or grad._requires_grad
                            or leaf._post_accumulate_grad_hooks
                        ):
                            deliver_leaf(leaf, g, grads, input_grads)
                            if leaf._post_accumulate_grad_hooks and capture is None:
                                late[id(leaf)] = leaf
                        else:  # deliver_leaf's common case, inline: one call less per gradient
                            grad._data += g
                        continue
                    buf = buffers.get(child)
                    if buf is None:
                        if needed is not None and child not in needed:
                            continue  # autograd.grad: leads to none of its inputs
                        buffers[child] = buf = [None] * child._n_outputs
                        if fresh is None:
                            fresh = child
                        else:
                            heappush(queue, (-child._seq, child))
                    buf[k] = g if buf[k] is None else buf[k] + g
                # the next node: the latest-recorded of ``fresh`` and the heap's first
                if fresh is not None:
                    if queue and queue[0][0] < -fresh._seq:
                        node = heapreplace(queue, (-fresh._seq, fresh))[1]
                    else:
                        node = fresh
                    fresh = None
                else:
                    node = heappop(queue)[1] if queue else None
            if hooked:  # leaves some of whose gradients never came (their nodes did not run)
                for entry in hooked.values():
                    if entry[0]:
                        finish_leaf(entry)
            # post-accumulate-grad hooks registered during the pass, on leaves not counted at
            # its start: once each, on the whole gradient, when the pass has delivered it
            for leaf in late.values():
                _run_post_accumulate_grad_hooks(leaf)
    except Exception:
        if _anomaly.enabled:  # (then torch warns with the failing node's forward traceback)
            _anomaly_mode.report(node)
        raise
    finally:
        _grad_mode.enabled = prev_mode
    return results if capture is not None else None


def _check_saved(node):
    """Refuse to run ``node``'s backward if an array it saved was written in place since."""
    for value in node._saved or ():
        data = value._data if isinstance(value, Tensor) else value
        is_array = isinstance(data, np.ndarray) or backend.is_cuda_array(data)
        if is_array and _versions.written_since(data, node._saved_at):
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{from_numpy(data.dtype)} {list(data.shape)}], saved by "
                f"{node.name()}, was written in place after it was saved. Hint: compute out "
                "of place (e.g. y = y * 2 instead of y *= 2) or clone() it before writing."
            )
    node._saved_at = _versions.clock  # nothing written since: check again only after a write


def _conform(g, shape, dtype, create_graph):
    """Undo broadcasting and promotion: ``g`` summed and cast to its input's shape and dtype."""
    t = g if create_graph else _tensor(g)
    if t._data.shape != shape:
        t = t.sum_to_size(shape)
    if t._data.dtype != dtype:
        if t._data.dtype.kind == "c" and dtype.kind != "c":
            t = t.real  # a real input's gradient is the real part (torch's convention)
        t = t.to(from_numpy(dtype))
    return t if create_graph else t._data


def _visit_outputs(node, grads, create_graph, capture, results):
    """Before a node runs: its outputs' tensor hooks, retained grads and captured grads."""
    for k, g in enumerate(grads):
        if g is None:
            continue
        t = g if create_graph else _tensor(g)
        if node._hooks and k in node._hooks:
            t = _run_hooks(node._hooks[k], t, True)
            grads[k] = t if create_graph else t._data
        if node._retained and k in node._retained:  # accumulated over passes, as in torch
            kept = node._retained[k]
            t_kept = t if create_graph else t.detach()
            kept.grad = t_kept if kept._grad is None else kept._grad + t_kept
        if capture is not None:
            for slot in capture.get((id(node), k), ()):
                results[slot] = t


def _call_backward(node, grads, create_graph):
    """``node``'s input gradients, by its Python ``backward`` or by its ``formula`` on tensors
    (on arrays the engine evaluates it itself). ``grads`` and the result are tensors when
    ``create_graph``, else arrays."""
    fn = node.fn
    if fn.formula is not None:
        input_grads = fn.formula(node, grads[0], node.saved_tensors)
    else:
        if not create_graph:
            grads = [None if g is None else _tensor(g) for g in grads]
        if node._n_outputs > 1:
            # outputs that received no gradient contribute zeros
            grads = [
                g if g is not None or meta is None else Tensor._make(meta[2].zeros(*meta[:2]))
                for g, meta in zip(grads, node._output_meta)
            ]
        input_grads = fn.backward(node, *grads)
        if not create_graph:  # back to arrays
            if isinstance(input_grads, tuple):
                input_grads = tuple([None if g is None else g._data for g in input_grads])
            elif input_grads is not None:
                input_grads = input_grads._data
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    # backward may leave out trailing arguments that need no gradient (dims, dtypes, flags),
    # or return extra trailing Nones
    n, expected = len(input_grads), len(node.needs_input_grad)
    if n > expected and all(g is None for g in input_grads[expected:]):
        input_grads, n = input_grads[:expected], expected
    if n > expected or (node._edges and node._edges[-1][0] >= n):
        # torch's message for a Function whose backward returns the wrong number of grads
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {expected}, got {n})"
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
    tensors = tuple(t._fresh() for t in _as_tuple(tensors))
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
    handed_out = set()
    for t, g in zip(inputs, results):
        if g is not None:
            _accumulate(t, g if create_graph else g._data, create_graph, handed_out)
            if t._post_accumulate_grad_hooks:
                _run_post_accumulate_grad_hooks(t)


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
    outputs = tuple(t._fresh() for t in _as_tuple(outputs))
    inputs = tuple(t._fresh() for t in _as_tuple(inputs))
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
