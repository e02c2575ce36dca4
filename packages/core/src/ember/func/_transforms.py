"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian``:
torch.func's autodiff transforms on Ember's reverse-mode autograd.

How they nest. torch.func wraps tensors once per transform ("levels"); Ember keeps one graph:

- A transform calls ``func`` on stand-ins for the inputs it differentiates: fresh leaves that
  require grad, or, for an input that requires grad while grad mode is on, a view of it recorded
  in the graph, so that the result stays a differentiable function of that input.
- It differentiates with ``create_graph=True`` only where its results must be differentiable
  further out: where the graph of ``func``'s output reaches a tensor that requires grad and was
  not made by this transform or by one run inside it (an input of an enclosing transform, or a
  tensor of the caller's). So ``grad(grad(f))``, ``jacrev(jacrev(f))`` and functions that close
  over an enclosing transform's inputs get their higher derivatives, and a lone ``grad`` pays
  for one backward pass.
- Results leave detached, unless their graph reaches such a tensor ("unwrapped", in torch's
  words). Called under ``no_grad``, a transform still differentiates ``func`` but its results
  are detached from everything outside, as torch's are.

Neither the inputs nor any ``.grad`` are touched: gradients come from ``autograd.grad``.
``jvp`` and ``jacfwd`` are computed in reverse mode (see each).
"""

from __future__ import annotations

import contextlib
import functools
import threading

from .. import _creation
from .._tensor import Tensor
from ..autograd.functional import _autograd_grad, _grad_preprocess
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops.shape import stack
from ._pytree import tree_flatten, tree_unflatten
from ._vmap import RandomnessGuard

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]

_JVP = "jvp(f, primals, tangents)"
_VJP = "vjp(f, *primals)"


# ------------------------------------------------------------------------------------ levels


class _Stack(threading.local):
    def __init__(self):
        self.levels = []  # the running transforms, innermost last


_running = _Stack()


class _Level:
    """One running transform: whether grad mode was on where it was called (``connect``) and
    the leaves it and the transforms run inside it made (``own``, by id; held, so that no id
    is reused while it runs)."""

    def __init__(self):
        self.connect = is_grad_enabled()
        self.own = {}

    def wrap(self, tensors):
        """Stand-ins requiring grad for the differentiated inputs ``tensors`` (a list)."""
        for t in tensors:
            if not isinstance(t, Tensor):
                raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        wrapped = _grad_preprocess(tuple(tensors), create_graph=self.connect, need_graph=True)
        for w in wrapped:
            if w.grad_fn is None:
                self.own[id(w)] = w
        return list(wrapped)

    def reaches_outside(self, tensors):
        """Whether the graph of ``tensors`` reaches a tensor requiring grad from outside this
        transform (and grad mode was on at the call): its results must then carry a graph."""
        if not self.connect:
            return False
        own = self.own
        nodes = []
        for t in tensors:
            if isinstance(t, Tensor) and t.requires_grad:
                if t.grad_fn is None:
                    if id(t) not in own:
                        return True
                else:
                    nodes.append(t.grad_fn)
        seen = set(nodes)
        while nodes:
            for edge in nodes.pop()._edges:
                child, leaf = edge[1], edge[3]
                if leaf is not None:
                    if id(leaf) not in own:
                        return True
                elif child not in seen:
                    seen.add(child)
                    nodes.append(child)
        return False

    def unwrap(self, tree, outside):
        """``tree`` with each tensor detached, unless ``outside`` (the tree reaches outside)
        and the tensor does; any other leaf is torch's error."""
        leaves, spec = tree_flatten(tree)
        for value in leaves:
            if not isinstance(value, Tensor):
                raise RuntimeError(f"Expected tensors, got unsupported type {type(value)}")
        leaves = [
            t if not t.requires_grad or (outside and self.reaches_outside((t,))) else t.detach()
            for t in leaves
        ]
        return tree_unflatten(leaves, spec)


@contextlib.contextmanager
def _level():
    """Run a transform: grad mode on (torch's transforms ignore an enclosing ``no_grad``) and
    a fresh record of its leaves, which it hands to the enclosing transform when done: to that
    one they are its own too."""
    level = _Level()
    levels = _running.levels
    levels.append(level)
    try:
        with enable_grad():
            yield level
    finally:
        levels.pop()
        if levels:
            levels[-1].own.update(level.own)


def _grads(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` of the ``outputs`` that require grad, zeros for every input they do
    not depend on (torch.func's ``_autograd_grad``)."""
    res = _autograd_grad(
        tuple(outputs), tuple(inputs), grad_outputs, create_graph, retain_graph=retain_graph
    )
    return [_creation.zeros_like(x) if g is None else g for g, x in zip(res, inputs)]


def _run(level, func, args, argnums, has_aux, api, kwargs=None):
    """Call ``func`` at ``level`` with the inputs at ``argnums`` (all of ``args`` when None)
    replaced by stand-ins. Returns the flat stand-ins, their structure, the output and aux."""
    diff_args = args if argnums is None else _slice_argnums(args, argnums, as_tuple=False)
    flat_diff, diff_spec = tree_flatten(diff_args)
    flat_wrapped = level.wrap(flat_diff)
    wrapped = tree_unflatten(flat_wrapped, diff_spec)
    if argnums is not None:
        wrapped = _replace_args(args, wrapped, argnums)
    output = func(*wrapped, **(kwargs or {}))
    aux = None
    if has_aux:
        if not (isinstance(output, tuple) and len(output) == 2):
            raise RuntimeError(
                f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
            )
        output, aux = output
        aux = level.unwrap(aux, level.reaches_outside(tree_flatten(aux)[0]))
    return flat_wrapped, diff_spec, output, aux


# ---------------------------------------------------------------------------------- argnums


def _validate_and_wrap_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -num_args <= argnum < num_args:
        return argnum % num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _slice_argnums(args, argnums, as_tuple=True):
    """The arguments at ``argnums``: one, or a tuple for a tuple of argnums (or ``as_tuple``)."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        arg = args[_validate_and_wrap_argnum(argnums, len(args))]
        return (arg,) if as_tuple else arg
    argnums = tuple(_validate_and_wrap_argnum(a, len(args)) for a in argnums)
    if not argnums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(args[i] for i in argnums)


def _replace_args(args, new_args, argnums):
    """``args`` with the ones at ``argnums`` replaced by ``new_args`` (in ``_slice_argnums``'s
    form, ``as_tuple=False``)."""
    if isinstance(argnums, int):
        argnums, new_args = (argnums,), (new_args,)
    found = {a % len(args): new for a, new in zip(argnums, new_args)}
    return tuple(found.get(i, arg) for i, arg in enumerate(args))


# ----------------------------------------------------------------------------------- checks


def _assert_non_empty_tensor_output(output, api):
    if (len(output) == 1 and output[0] is None) or len(output) < 1:
        raise RuntimeError(
            f"{api}: Expected f to be a function that has non-empty output (got output = {output})"
        )
    for o in output:
        if not isinstance(o, Tensor):
            raise RuntimeError(
                f"{api}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(o)}"
            )


def _assert_floating_outputs(output):
    for o in output:
        if not (o.dtype.is_floating_point or o.dtype.is_complex):
            raise RuntimeError(
                "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got "
                f"Tensor with dtype {o.dtype}"
            )


def _error_if_complex(api, args, is_input):
    for idx, arg in enumerate(tree_flatten(args)[0]):
        if isinstance(arg, Tensor) and arg.dtype.is_complex:
            kind = "inputs" if is_input else "outputs"
            raise RuntimeError(
                f"{api}: Expected all {kind} to be real but received complex tensor at "
                f"flattened input idx: {idx}"
            )


def _assert_non_empty_list_of_tensors(values, api, argname):
    if not values:
        raise RuntimeError(f"{api}: Expected {argname} to contain at least one Tensor.")
    for v in values:
        if not isinstance(v, Tensor):
            raise RuntimeError(f"{api}: Expected {argname} to only contain Tensors, got {type(v)}")


# --------------------------------------------------------------------------- the transforms


def grad(func, argnums=0, has_aux=False):
    """The gradient of ``func`` with respect to the argument(s) at ``argnums``.

    Nests for higher-order gradients (``grad(grad(f))``) and composes with ``vmap`` for
    per-sample gradients (``vmap(grad(f), in_dims=(None, 0, 0))``).

    Args:
        func: a function of one or more arguments returning a single-element (0-dim) tensor,
            or, with ``has_aux``, a tuple ``(output, aux)``.
        argnums: the argument (int) or arguments (tuple of ints) to differentiate with respect
            to; each may be a tensor or a nested tuple/list/dict of tensors. Default: 0.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` (tensors, in any nesting) is
            returned beside the gradient, not differentiated. Default: False.

    Returns:
        A function that takes ``func``'s arguments and returns the gradient (shaped like the
        argument; a tuple of them for a tuple ``argnums``), or ``(gradient, aux)``.

    Example:
        >>> x = ember.randn([])
        >>> ember.allclose(grad(ember.sin)(x), x.cos())
        True
        >>> ember.allclose(grad(grad(ember.sin))(x), -x.sin())
        True
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func, updated=())
    def wrapper(*args, **kwargs):
        if has_aux:
            g, (_, aux) = gv(*args, **kwargs)
            return g, aux
        return gv(*args, **kwargs)[0]

    return wrapper


def grad_and_value(func, argnums=0, has_aux=False):
    """Like ``grad``, but the returned function gives ``(gradient, output)``, where ``output``
    is ``func``'s (with ``has_aux``: ``(gradient, (output, aux))``).

    Args:
        func: a function returning a single-element (0-dim) tensor (or ``(output, aux)``).
        argnums: the argument(s) to differentiate with respect to. Default: 0.
        has_aux: ``func`` returns ``(output, aux)``. Default: False.
    """

    @functools.wraps(func, updated=())
    def wrapper(*args, **kwargs):
        with _level() as level:
            flat_wrapped, spec, output, aux = _run(
                level, func, args, argnums, has_aux, "grad_and_value(f)(*args)", kwargs
            )
            if not isinstance(output, Tensor):
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                    f"{type(output)}"
                )
            if output.dim() != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                    f"tensor with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                    "APIs instead?"
                )
            outside = level.reaches_outside((output,))
            grads = _grads((output,), flat_wrapped, create_graph=outside)
            grad_input = level.unwrap(tree_unflatten(grads, spec), outside)
            output = level.unwrap(output, outside)
        if has_aux:
            return grad_input, (output, aux)
        return grad_input, output

    return wrapper


def vjp(func, *primals, has_aux=False):
    """``func``'s output at ``primals`` and a function giving vector-Jacobian products there.

    Args:
        func: a function of tensors (nested tuples/lists/dicts allowed) returning one or more
            floating-point tensors (or ``(output, aux)`` with ``has_aux``).
        *primals: the arguments of ``func``, all differentiated.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is returned last. Default: False.

    Returns:
        ``(output, vjp_fn)`` (``(output, vjp_fn, aux)`` with ``has_aux``).
        ``vjp_fn(cotangents, retain_graph=True, create_graph=None)`` takes cotangents of the
        structure and shapes of ``output`` and returns a tuple with one vector-Jacobian product
        per primal; it may be called many times. ``create_graph`` defaults to whether grad
        mode is on and the products depend on a tensor requiring grad.

    Example:
        >>> x = ember.randn(5)
        >>> out, vjp_fn = vjp(ember.sin, x)
        >>> ember.allclose(vjp_fn(ember.ones(5))[0], x.cos())
        True
    """
    with _level() as level:
        flat_wrapped, spec, output, aux = _run(level, func, primals, None, has_aux, _VJP)
        flat_out, out_spec = tree_flatten(output)
        _assert_non_empty_tensor_output(flat_out, _VJP)
        _assert_floating_outputs(flat_out)
        outside = level.reaches_outside(flat_out)
        results = level.unwrap(output, outside)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_cotangents, cotangents_spec = tree_flatten(cotangents)
        if cotangents_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {cotangents_spec}, primal output: "
                f"{out_spec}"
            )
        if create_graph is None:
            create_graph = is_grad_enabled() and (
                outside or any(isinstance(c, Tensor) and c.requires_grad for c in flat_cotangents)
            )
        res = _grads(flat_out, flat_wrapped, flat_cotangents, create_graph, retain_graph)
        return tree_unflatten(res, spec)

    if has_aux:
        return results, vjp_fn, aux
    return results, vjp_fn


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``func``'s output at ``primals`` and its Jacobian there times ``tangents``.

    torch computes this in forward mode; Ember by the double-vjp trick: the vjp
    ``u -> J^T u`` is linear in ``u``, so its own vjp against ``tangents`` is ``J tangents``
    (two reverse passes, the second through the first's graph). The values are the same.

    Args:
        func: a function of tensors returning one or more tensors (or ``(output, aux)``).
        primals: a tuple of the arguments of ``func`` (tensors, nested tuples/lists/dicts).
        tangents: the vector, of the structure and shapes of ``primals``.
        strict: raise if an output does not depend on the inputs. Default: False.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is returned last. Default: False.

    Returns:
        ``(output, jvp_out)`` (``(output, jvp_out, aux)`` with ``has_aux``), ``jvp_out``
        structured like ``output``.

    Example:
        >>> x = ember.randn(5)
        >>> _, jvp_out = jvp(ember.sin, (x,), (ember.ones(5),))
        >>> ember.allclose(jvp_out, x.cos())
        True
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    flat_primals, primals_spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {primals_spec!r} and tangents with structure {tangents_spec!r}"
        )
    _assert_non_empty_list_of_tensors(flat_primals, _JVP, "primals")
    _assert_non_empty_list_of_tensors(flat_tangents, _JVP, "tangents")
    for p, t in zip(flat_primals, flat_tangents):
        if p.shape != t.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}."
            )
    with _level() as level:
        flat_wrapped, _, output, aux = _run(level, func, primals, None, has_aux, _JVP)
        flat_out, out_spec = tree_flatten(output)
        _assert_non_empty_tensor_output(flat_out, _JVP)
        outside = level.reaches_outside(flat_out) or (
            level.connect and any(t.requires_grad for t in flat_tangents)
        )
        flat_jvp = _double_vjp(level, flat_out, flat_wrapped, flat_tangents, outside)
        if strict and any(j is None for j in flat_jvp):
            raise RuntimeError(
                "jvp(f, primals, tangents, strict=True): The output of f is independent of the "
                "inputs. This is not allowed with strict=True."
            )
        flat_jvp = [_creation.zeros_like(o) if j is None else j for j, o in zip(flat_jvp, flat_out)]
        results = (
            level.unwrap(output, outside),
            level.unwrap(tree_unflatten(flat_jvp, out_spec), outside),
        )
    return results + (aux,) if has_aux else results


def _double_vjp(level, outputs, inputs, tangents, create_graph):
    """The Jacobian of ``outputs`` with respect to ``inputs`` times ``tangents``, one per
    output (None for one that does not depend on the inputs)."""
    diff = [o for o in outputs if o.requires_grad]
    seeds = level.wrap([_creation.zeros_like(o) for o in diff])
    vjps = _autograd_grad(tuple(diff), tuple(inputs), tuple(seeds), create_graph=True)
    pairs = [(g, t) for g, t in zip(vjps, tangents) if g is not None]
    jvps = iter(
        _autograd_grad(
            tuple(g for g, _ in pairs),
            tuple(seeds),
            tuple(t for _, t in pairs),
            create_graph=create_graph,
        )
        if pairs
        else (None,) * len(seeds)
    )
    return [next(jvps) if o.requires_grad else None for o in outputs]


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian of ``func`` with respect to the argument(s) at ``argnums``, by reverse mode.

    torch vmaps one backward pass over the rows; Ember runs one backward pass per output
    element (what torch's ``chunk_size=1`` does), on the graph of a single call of ``func``.

    Args:
        func: a function returning one or more tensors (nested tuples/lists/dicts allowed), or
            ``(output, aux)`` with ``has_aux``.
        argnums: the argument (int) or arguments (tuple) to differentiate with respect to.
            Default: 0.
        has_aux: ``func`` returns ``(output, aux)``. Default: False.
        chunk_size: accepted for torch compatibility (None or positive).

    Returns:
        A function that takes ``func``'s arguments and returns the Jacobian: for each output,
        shaped ``output.shape + input.shape``, structured like the outputs and, within, like
        the argument (a tuple over a tuple ``argnums``); ``(jacobian, aux)`` with ``has_aux``.

    Example:
        >>> x = ember.randn(3)
        >>> ember.allclose(jacrev(ember.sin)(x), ember.diag(x.cos()))
        True
    """
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func, updated=())
    def wrapper(*args):
        return _jacobian("jacrev", func, args, argnums, has_aux, forward=False)

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` with respect to the argument(s) at ``argnums``, as torch's
    forward-mode ``jacfwd`` gives it.

    Ember has no forward mode: this is ``jacrev``'s Jacobian, in the output's dtype as
    forward mode's (``jacrev``'s is in the input's). The values are the same.

    Args:
        func: a function returning one or more tensors, or ``(output, aux)`` with ``has_aux``.
        argnums: the argument (int) or arguments (tuple) to differentiate with respect to.
            Default: 0.
        has_aux: ``func`` returns ``(output, aux)``. Default: False.
        randomness: as ``vmap``'s (``"error"``, ``"different"`` or ``"same"``): in ``"error"``
            mode, ``func`` drawing from the default CPU generator is an error. Default:
            ``"error"``.

    Returns:
        As ``jacrev``.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )

    @functools.wraps(func, updated=())
    def wrapper(*args):
        return _jacobian(
            "jacfwd", func, args, argnums, has_aux, forward=True, randomness=randomness
        )

    return wrapper


def _jacobian(api, func, args, argnums, has_aux, forward, randomness="different"):
    """``jacrev`` or (``forward``) ``jacfwd``: one call of ``func``, one backward pass per
    output element."""
    _error_if_complex(api, args, is_input=True)
    guard = RandomnessGuard(randomness) if randomness == "error" else None
    checks_as = _JVP if forward else _VJP  # torch's jacfwd runs jvp, its jacrev vjp
    with _level() as level:
        flat_wrapped, spec, output, aux = _run(level, func, args, argnums, has_aux, checks_as)
        if guard:
            guard.after()
        flat_out, out_spec = tree_flatten(output)
        _assert_non_empty_tensor_output(flat_out, checks_as)
        if not forward:
            _assert_floating_outputs(flat_out)
        _error_if_complex(api, flat_out, is_input=False)
        outside = level.reaches_outside(flat_out)
        jac = []
        for out in flat_out:
            blocks = _jacobian_blocks(out, flat_wrapped, outside)
            if forward:
                blocks = [b.to(out.dtype) for b in blocks]
            jac.append(level.unwrap(tree_unflatten(blocks, spec), outside))
    jac = tree_unflatten(jac, out_spec)
    return (jac, aux) if has_aux else jac


def _jacobian_blocks(out, inputs, create_graph):
    """The Jacobian of ``out`` with respect to each of ``inputs``, shaped
    ``out.shape + input.shape``: one backward pass per element of ``out``."""
    rows = []
    if out.requires_grad:
        flat = out.reshape(-1)
        rows = [
            _autograd_grad((flat[k],), tuple(inputs), retain_graph=True, create_graph=create_graph)
            for k in range(flat.numel())
        ]
    blocks = []
    for j, x in enumerate(inputs):
        shape = out.shape + x.shape
        if all(row[j] is None for row in rows):
            blocks.append(x.new_zeros(shape))
        else:
            column = [_creation.zeros_like(x) if row[j] is None else row[j] for row in rows]
            blocks.append(stack(column).view(shape))
    return blocks


def hessian(func, argnums=0):
    """The Hessian of ``func`` with respect to the argument(s) at ``argnums``:
    ``jacfwd(jacrev(func, argnums), argnums)``, as in torch.

    Args:
        func: a function returning one or more tensors (a scalar for the usual Hessian).
        argnums: the argument (int) or arguments (tuple) to differentiate with respect to.
            Default: 0.

    Returns:
        A function that takes ``func``'s arguments and returns the Hessian, shaped
        ``output.shape + input.shape + input.shape`` (nested per argument for a tuple).

    Example:
        >>> x = ember.randn(5)
        >>> ember.allclose(hessian(lambda x: x.sin().sum())(x), ember.diag(-x.sin()))
        True
    """
    return jacfwd(jacrev(func, argnums), argnums)
