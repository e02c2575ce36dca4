"""Higher-level autograd: Jacobians, Hessians and their products with vectors, as torch's
``torch.autograd.functional``.

Every function takes ``func`` (tensors in; a tensor or a tuple of tensors out) and the point
``inputs`` (a tensor or a tuple of tensors), and gives its results in the structure of what it
was given: a single tensor for a single tensor, a tuple for a tuple. Everything is built on
``ember.autograd.grad``; products that need forward mode (``jvp``, ``hvp``) use the double
backward trick, as torch does. Results are detached unless ``create_graph=True``, in which case
they are differentiable functions of ``inputs`` (of those that require grad).

An output independent of an input gives zeros for that input, or, with ``strict=True``, the
``RuntimeError`` torch raises.
"""

from __future__ import annotations

from .. import _creation
from .._tensor import Tensor
from .function import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---------------------------------------------------------------------------------- utilities


def _as_tuple(inp, arg_name, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``; anything but a tensor or a tuple of tensors is a
    TypeError (a list counts as one non-tensor value, as in torch)."""
    is_tuple = isinstance(inp, tuple)
    if not is_tuple:
        inp = (inp,)
    for i, el in enumerate(inp):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where} has type {type(el)}."
            )
    return is_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Undo ``_as_tuple``: ``to_unpack`` is one flag, or two for a tuple of tuples."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    """New tensor objects for ``inputs``: differentiable views of them when the result is to be
    differentiable (``create_graph``) and they require grad, else detached leaves that require
    grad when ``need_graph``. New objects always, so that tensors the function captures are
    told apart from its arguments."""
    from ..ops.shape import Reshape  # (the ops import autograd)

    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            # a view recorded in the graph (torch's view_as(inp)); Ember's view_as gives the
            # tensor itself back when the shape does not change
            res.append(Reshape.apply(inp, tuple(inp.shape)))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    """Detach the results (a tuple, or a tuple of tuples) unless ``create_graph``."""
    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}."
            )


def _check_requires_grad(inputs, input_type, strict):
    """In strict mode, torch's errors for values that are not differentiable functions of the
    inputs: ``input_type`` is "outputs", "grad_inputs", "jacobian" or "hessian"."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:  # only grad_inputs
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}."
                " This is not allowed in strict mode."
            )
        if inp.requires_grad:
            continue
        if input_type == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i}"
                " is independent of the input. This is not allowed in strict mode."
                " You should ensure that your function is thrice differentiable and that"
                " the hessian depends on the inputs."
            )
        if input_type == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided"
                f" function with respect to input {i} is independent of the input. This is not"
                " allowed in strict mode. You should ensure that your function is twice"
                " differentiable and that the jacobian depends on the inputs (this would be"
                " violated by a linear function for example)."
            )
        if input_type == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the"
                " user-provided function. This is not allowed in strict mode."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients."
            " The outputs must be computed in a differentiable manner from the input"
            " when running in strict mode."
        )


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs which are None or do not require grad, and gives
    None for inputs nothing depends on."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs, new_grad_outputs = [], []
    for out, grad_out in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            new_outputs.append(out)
            new_grad_outputs.append(grad_out)
    if not new_outputs:  # nothing differentiable: no need for the engine
        return (None,) * len(inputs)
    return _grad(
        tuple(new_outputs),
        inputs,
        tuple(new_grad_outputs),
        allow_unused=True,
        create_graph=create_graph,
        retain_graph=retain_graph,
    )


_STRICT_NONE = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
    "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. This "
    "is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
    "in the grad_jacobian. This is not allowed in strict mode as it prevents from using the "
    "double backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Zeros shaped like ``refs[i]`` for each None in ``grads``, or torch's strict errors."""
    res = []
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                raise RuntimeError(_STRICT_NONE[stage].format(i=i))
            grads_i = _creation.zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        res.append(grads_i)
    return tuple(res)


def _check_v_none(inputs):
    if len(inputs) != 1 or inputs[0].nelement() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )


def _prepare_v(v, inputs, is_inputs_tuple, create_graph, fn_name):
    if v is None:
        _check_v_none(inputs)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
    _validate_v(v, inputs, is_inputs_tuple)
    return v


def _check_single_output(outputs, is_outputs_tuple, fn_name):
    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )


# ---------------------------------------------------------------------------------- public API


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of a vector ``v`` with the Jacobian of ``func`` at ``inputs``.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors, the arguments of ``func``.
        v: a tensor (or tuple) shaped like ``func``'s output; may be None when that output is a
            single tensor of one element (it is then taken as 1).
        create_graph: make the output and the product differentiable (results are otherwise
            detached).
        strict: raise a RuntimeError when the outputs are independent of an input, instead of
            giving zeros for it.

    Returns:
        ``(func_output, vjp)``: ``func``'s output, and the product shaped like ``inputs``.

    Example:
        >>> def adder(x, y):
        ...     return 2 * x + 3 * y
        >>> vjp(adder, (ember.rand(2), ember.rand(2)), ember.ones(2))[1]
        (tensor([2., 2.]), tensor([3., 3.]))
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (
        _tuple_postprocess(outputs, is_outputs_tuple),
        _tuple_postprocess(result, is_inputs_tuple),
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of the Jacobian of ``func`` at ``inputs`` with a vector ``v``.

    Computed, as in torch, by the double backward trick (the backward of the backward, seeded
    with zeros that require grad) rather than forward-mode AD.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors, the arguments of ``func``.
        v: a tensor (or tuple) shaped like ``inputs``; may be None when the input is a single
            tensor of one element (it is then taken as 1).
        create_graph: make the output and the product differentiable.
        strict: raise a RuntimeError when an output is independent of the inputs, instead of
            giving zeros for it.

    Returns:
        ``(func_output, jvp)``: ``func``'s output, and the product shaped like that output.

    Example:
        >>> def adder(x, y):
        ...     return 2 * x + 3 * y
        >>> jvp(adder, (ember.rand(2), ember.rand(2)), (ember.ones(2), ember.ones(2)))[1]
        tensor([5., 5.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "jvp")
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        # The vjp is linear in its seed u: differentiating u -> J^T u against v gives J v.
        grad_outputs = tuple(_creation.zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (
        _tuple_postprocess(outputs, is_outputs_tuple),
        _tuple_postprocess(result, is_outputs_tuple),
    )


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """The Jacobian of ``func`` at ``inputs``.

    Computed in reverse mode, one ``autograd.grad`` call per output element. ``vectorize=True``
    (a vmap-batched single call in torch) is accepted and gives the same result, computed the
    same row-by-row way; ``strategy="forward-mode"``, which torch allows only with
    ``vectorize=True``, is likewise computed in reverse mode, its result as torch's forward mode
    gives it: in the output's dtype, and attached to the graph when an input requires grad.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors, the arguments of ``func``.
        create_graph: make the Jacobian differentiable (it is otherwise detached).
        strict: raise a RuntimeError when an output is independent of an input, instead of
            giving zeros (not allowed with ``vectorize=True`` or forward mode, as in torch).
        vectorize: accepted for torch compatibility; see above.
        strategy: ``"reverse-mode"`` (the default) or ``"forward-mode"``.

    Returns:
        A tensor for a single tensor in and out, shaped ``output.shape + input.shape``; a tuple
        over inputs (or outputs) when one of them is a tuple; when both are,
        ``jacobian[i][j]`` is that of output ``i`` with respect to input ``j``.

    Example:
        >>> jacobian(lambda x: x**3, ember.tensor([1.0, 2.0]))
        tensor([[ 3.,  0.],
                [ 0., 12.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.'
            )
        _, inps = _as_tuple(inputs, "inputs", "jacobian")
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
        # torch's forward mode leaves its result attached to the graph of the inputs that
        # require grad (forward AD composes with backward AD): so is this one
        create_graph = any(t.requires_grad for t in inps)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                "supported together. Please either set `strict=False` or `vectorize=False`."
            )
        jac = []
        for i, out in enumerate(outputs):
            rows = tuple([] for _ in inputs)
            flat = out.reshape(-1)
            for j in range(out.nelement()):
                vj = _autograd_grad(
                    (flat[j],), inputs, retain_graph=True, create_graph=create_graph
                )
                for k, (rows_k, vj_k, inp_k) in enumerate(zip(rows, vj, inputs)):
                    if vj_k is not None:
                        if strict and create_graph and not vj_k.requires_grad:
                            # (torch names the output's index here)
                            raise RuntimeError(
                                "The jacobian of the user-provided function is independent of "
                                f"input {i}. This is not allowed in strict mode when "
                                "create_graph=True."
                            )
                        rows_k.append(vj_k)
                    else:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {k}. This is not allowed in strict mode."
                            )
                        rows_k.append(_creation.zeros_like(inp_k))
            jac.append(
                tuple(
                    _stack(rows_k, inp_k).view(out.size() + inp_k.size())
                    for rows_k, inp_k in zip(rows, inputs)
                )
            )
        if strategy == "forward-mode":  # torch's forward mode gives the output's dtype
            jac = [tuple(el.to(out.dtype) for el in row) for row, out in zip(jac, outputs)]
        jac = _grad_postprocess(tuple(jac), create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _stack(rows, ref):
    """The rows of one Jacobian block stacked (an output with no elements has none)."""
    if rows:
        from ..ops.shape import stack

        return stack(rows, 0)
    return ref.new_zeros((0,) + tuple(ref.shape))


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of the scalar function ``func`` at ``inputs``: the Jacobian of its gradient.

    Args:
        func: a function of tensors returning a tensor with a single element.
        inputs: a tensor or a tuple of tensors, the arguments of ``func``.
        create_graph: make the Hessian differentiable (it is otherwise detached).
        strict: raise a RuntimeError when the output, or its gradient, is independent of an
            input, instead of giving zeros.
        vectorize: accepted for torch compatibility; computed row by row all the same.
        outer_jacobian_strategy: ``"reverse-mode"`` or ``"forward-mode"`` (which, as in torch,
            needs ``vectorize=True``; computed in reverse mode here).

    Returns:
        A tensor shaped ``input.shape + input.shape`` for a single input; for a tuple,
        ``hessian[i][j]`` is shaped ``inputs[i].shape + inputs[j].shape``.

    Example:
        >>> hessian(lambda x: x.pow(3).sum(), ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    if outer_jacobian_strategy == "forward-mode":
        # torch's jac_func makes the (dual) inputs require grad, so that its forward-mode
        # Hessian is attached to a graph: the same here, leaving the caller's tensors alone
        inputs = tuple(t if t.requires_grad else t.detach().requires_grad_(True) for t in inputs)
    res = jacobian(
        jac_func,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of a vector ``v`` with the Hessian of the scalar function ``func``.

    Args:
        func: a function of tensors returning a tensor with a single element.
        inputs: a tensor or a tuple of tensors, the arguments of ``func``.
        v: a tensor (or tuple) shaped like ``inputs``; may be None when the input is a single
            tensor of one element.
        create_graph: make the output and the product differentiable.
        strict: raise a RuntimeError when the output or its gradient is independent of an
            input, instead of giving zeros.

    Returns:
        ``(func_output, vhp)``: ``func``'s output, and the product shaped like ``inputs``.

    Example:
        >>> vhp(lambda x: x.pow(3).sum(), ember.tensor([1.0, 2.0]), ember.ones(2))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        inputs, v, outputs, jac, tuples = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "vhp"
        )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    return _product_result(outputs, result, tuples, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of the Hessian of the scalar function ``func`` with a vector ``v``.

    Computed, as in torch, by the double backward trick; for a twice continuously
    differentiable ``func`` the Hessian is symmetric and ``vhp`` gives the same, faster.

    Args:
        func: a function of tensors returning a tensor with a single element.
        inputs: a tensor or a tuple of tensors, the arguments of ``func``.
        v: a tensor (or tuple) shaped like ``inputs``; may be None when the input is a single
            tensor of one element.
        create_graph: make the output and the product differentiable.
        strict: raise a RuntimeError when the output or its gradient is independent of an
            input, instead of giving zeros.

    Returns:
        ``(func_output, hvp)``: ``func``'s output, and the product shaped like ``inputs``.

    Example:
        >>> hvp(lambda x: x.pow(3).sum(), ember.tensor([1.0, 2.0]), ember.ones(2))[1]
        tensor([ 6., 12.])
    """
    with enable_grad():
        inputs, v, outputs, jac, tuples = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "hvp"
        )
        grad_jac = tuple(_creation.zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)  # (torch checks jac again)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    return _product_result(outputs, result, tuples, create_graph)


def _gradient_of_scalar(func, inputs, v, create_graph, strict, name):
    """The first half of ``vhp``/``hvp``: the prepared inputs and ``v``, ``func``'s output and
    its gradient (with a graph), and whether the inputs and the output were tuples."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, name)
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    _check_single_output(outputs, is_outputs_tuple, name)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return inputs, v, outputs, jac, (is_inputs_tuple, is_outputs_tuple)


def _product_result(outputs, result, tuples, create_graph):
    """``(func_output, product)`` as ``vhp``/``hvp`` return them."""
    is_inputs_tuple, is_outputs_tuple = tuples
    return (
        _tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
        _tuple_postprocess(_grad_postprocess(result, create_graph), is_inputs_tuple),
    )
