"""The Tensor: one backend array plus what autograd needs.

Every operation method here is a thin wrapper over one Function in ``ember.ops``; the
knot between Tensor (whose methods call Functions) and Function (which returns Tensors) is
tied once, by the imports at the bottom of this module.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from . import _dtype as dtypes
from . import _versions, backend

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """The shape of a tensor: a tuple that prints like ``ember.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    # slices, concatenations and repeats stay sizes, as torch.Size's do
    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, times):
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__


def _sizes(args):
    """Accept sizes both as ``f(2, 3)`` and ``f((2, 3))`` / ``f([2, 3])``, like torch."""
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        args = args[0]
    return tuple(int(s) for s in args)


_new = object.__new__  # a module global is found faster than an attribute of object


class _RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` takes the hook off again."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _inplace_method(name, module="_pw"):
    """The in-place method ``<name>_`` of the function ``name`` of the operation module
    ``module`` (element-wise by default): its result written into the tensor (recorded like
    every in-place operation)."""

    def method(self, *args, **kwargs):
        return self._inplace(getattr(globals()[module], name), *args, **kwargs)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``."
    return method


def _inplace_test_method(name):
    """The in-place method ``<name>_`` of the comparison or logical function ``name``: its
    true/false result written into the tensor as 1/0 of the tensor's own dtype. Written the
    way ``copy_`` writes, so a tensor in the graph stays in it, its old values getting no
    gradient (torch's ``EqBackward`` and kin give zeros)."""

    def written(input, *args):
        return _conv.copy_from(input, getattr(_pw, name)(input, *args))

    def method(self, *args):
        return self._inplace(written, *args)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``, its result in this tensor's dtype."
    return method


def _method(module, name):
    """The Tensor method of the function ``name`` of the operation module ``module``
    (``"_pw"``, ``"_red"``, ...), with the tensor as its first argument."""

    def method(self, *args, **kwargs):
        return getattr(globals()[module], name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``ember.{name}(self, ...)``."
    return method


class Tensor:
    """A multi-dimensional array on the CPU (numpy) or a CUDA GPU (cupy), with autograd.

    Create tensors with ``ember.tensor``, ``ember.zeros``, ``ember.randn`` and friends. The
    legacy constructor ``ember.Tensor(2, 3)`` (uninitialised, default dtype) and
    ``ember.Tensor([1, 2])`` (data as the default float dtype) work as in torch.
    """

    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad",
        "_grad_fn",
        "_output_nr",
        "_hooks",
        "_post_accumulate_grad_hooks",
        # A view (an operation's output sharing its input's memory, as torch's views do):
        # the tensor whose memory it shares. An in-place write through a view rebases the
        # history of that base. ``_history_at``, the in-place write clock (see _versions)
        # when a view's history or a base's was last set, is only set on those two: a view
        # older than its base's history gets its own again from it (see _refresh_view).
        "_base",
        "_history_at",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy defers binary operators to Tensor
    # set by the first hook on a leaf (a tensor hook or a post-accumulate-grad hook): from then
    # on backward passes count the edges into leaves (see autograd.function._backward_pass)
    _leaf_hooks_used = False
    __array_ufunc__ = None

    def __init__(self, *args):
        if args and all(isinstance(a, numbers.Integral) for a in args):
            data = np.empty(args, dtype=dtypes.get_default_dtype().np)
        else:
            data = np.asarray(args[0] if args else [], dtype=dtypes.get_default_dtype().np)
        self._init(data, False)

    def _init(self, data, requires_grad):
        self._data = data
        self._requires_grad = requires_grad
        self._grad = None
        self._grad_fn = None
        self._output_nr = 0
        self._hooks = None
        self._post_accumulate_grad_hooks = None
        self._base = None

    @staticmethod
    def _make(data, requires_grad=False, grad_fn=None, output_nr=0):
        """Wrap a backend array (no copy); ``grad_fn`` and ``output_nr`` for the output of a
        recorded operation. The fast path every operation uses (a staticmethod: no bound
        method is made per call)."""
        t = _new(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t._grad = None
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._hooks = None
        t._post_accumulate_grad_hooks = None
        t._base = None
        return t

    # ----------------------------------------------------------------------------- metadata

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape as ``ember.Size``, or the size of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self):
        return dtypes.from_numpy(self._data.dtype)

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_cuda(self):
        return backend.is_cuda_array(self._data)

    @property
    def is_cpu(self):
        return not backend.is_cuda_array(self._data)

    def get_device(self):
        """The index of the GPU holding this tensor; -1 for a CPU tensor, like torch."""
        if not backend.is_cuda_array(self._data):
            return -1
        index = self.device.index
        return 0 if index is None else index

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def is_conj(self):
        return False

    def is_neg(self):
        """False: Ember computes negations at once, never as lazy negative views."""
        return False

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return int(self._data.nbytes)

    def stride(self, dim=None):
        """Strides in elements (not bytes), like torch."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self):
        """The memory address of the first element (host or device memory)."""
        return _address(self._data)

    def storage_offset(self):
        """How many elements into the memory it views this tensor starts (0 unless it is a
        view that starts further in, like ``x[1:]``)."""
        return (_address(self._data) - _address(_memory_owner(self._data))) // self._data.itemsize

    @property
    def output_nr(self):
        """Which output of the operation that made it this tensor is (0 for a leaf)."""
        return self._output_nr

    def is_shared(self):
        """False: Ember's tensors live in their process's own memory (numpy or cupy arrays),
        never in shared memory."""
        return False

    def share_memory_(self):
        """Returns self, unchanged: Ember has no shared-memory storage for tensors to move to
        (``is_shared()`` stays False), as ``Module.share_memory`` does nothing either."""
        return self

    def is_pinned(self):
        """False: Ember allocates no page-locked host memory."""
        return False

    def pin_memory(self):
        """Returns this CPU tensor itself: its numpy memory is ordinary host memory, which
        Ember copies to a GPU as it is (nothing is page-locked; ``is_pinned()`` stays False)."""
        if backend.is_cuda_array(self._data):
            raise RuntimeError(
                f"cannot pin '{_utilities.typename(self)}' only dense CPU tensors can be pinned"
            )
        return self

    @property
    def T(self):
        """All dimensions reversed (``x.permute(n-1, ..., 0)``)."""
        return _shape.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def H(self):
        """The conjugate transpose of a matrix (2-D tensor); see ``mH`` for batches."""
        ndim = self._data.ndim
        if ndim == 0:
            warnings.warn(
                "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, 2
            )
            return self.conj()
        if ndim != 2:
            raise RuntimeError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {ndim}-D tensor."
                + (" For batches of matrices, consider using tensor.mH" if ndim > 2 else "")
            )
        return self._matrix_transpose("H").conj()

    @property
    def mH(self):
        """The last two dimensions transposed and conjugated (``mT`` for real tensors)."""
        return self._matrix_transpose("mH").conj()

    @property
    def mT(self):
        """The last two dimensions transposed (a batch of matrices)."""
        return self._matrix_transpose("mT")

    def adjoint(self):
        """The last two dimensions transposed and conjugated (a view, like ``mH``)."""
        return self._matrix_transpose("adjoint()").conj()

    def _matrix_transpose(self, name):
        """The last two dimensions swapped, for the matrix transposes named ``tensor.name``."""
        ndim = self._data.ndim
        if ndim < 2:
            raise RuntimeError(
                f"tensor.{name} is only supported on matrices or batches of matrices. "
                f"Got {ndim}-D tensor."
            )
        return _shape.transpose(self, -2, -1)

    # ----------------------------------------------------------------------------- autograd

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Set whether autograd records operations on this leaf tensor; returns self."""
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        if self._grad_fn is None:
            self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._fresh()._grad_fn

    def _fresh(self):
        """This tensor, with its history rebuilt first if it is a view whose base was written
        in place after the view was taken (see ``ops.indexing.refresh_view``)."""
        base = self._base
        if base is not None and getattr(base, "_history_at", 0) > self._history_at:
            _index.refresh_view(self)
        return self

    @property
    def is_leaf(self):
        return self._grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the graph's leaves.

        Args:
            gradient: gradient w.r.t. this tensor; may be omitted for a scalar.
            retain_graph: keep the graph for another backward (default: ``create_graph``).
            create_graph: record the backward pass so higher-order gradients can be taken.
            inputs: accumulate only into these tensors' ``.grad``.
        """
        _function.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None return value
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._fresh()._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
            Tensor._leaf_hooks_used = True
        else:
            node = self._grad_fn
            if node._hooks is None:
                node._hooks = {}
            hooks = node._hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a backward pass has accumulated all of its gradient for
        this leaf tensor into ``.grad``; the hook may read and change ``tensor.grad`` in place.

        Only leaf tensors take these hooks. Returns a handle whose ``remove()`` unregisters it.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = []
        Tensor._leaf_hooks_used = True
        self._post_accumulate_grad_hooks.append(hook)
        return _RemovableHandle(self._post_accumulate_grad_hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (a no-op on leaves)."""
        if not self._fresh()._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        node = self._grad_fn
        if node is not None:
            if node._retained is None:
                node._retained = {}
            if node._hooks is None:
                node._hooks = {}  # the engine looks for hooks and retained grads at _hooks
            node._retained[self._output_nr] = self

    @property
    def grad(self):
        """The gradient accumulated by ``backward`` (None until then); assignable with a tensor
        of this one's shape, dtype and device, or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype.scalar_name}' to "
                    f"a tensor with grad_dtype '{self.dtype.scalar_name}'. The gradient must "
                    "match the tensor's dtype."
                )
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @property
    def retains_grad(self):
        node = self._grad_fn
        return node is not None and bool(node._retained) and self._output_nr in node._retained

    def detach(self):
        """A new tensor sharing this one's data, cut from the graph."""
        return Tensor._make(self._data)

    def detach_(self):
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    @property
    def data(self):
        """The same data, detached from the graph (torch's ``.data``); assignable. Unlike
        ``detach()``, in-place writes through it are hidden from autograd's version check."""
        return Tensor._make(_versions.untracked(self._data.view()))

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        data = value._data
        # (another tensor's .data: its array is exempt from version counting, this one's not)
        self._data = data.view() if _versions.is_untracked(data) else data

    # --------------------------------------------------------------------------- conversion

    def numpy(self, *, force=False):
        """The data as a numpy array sharing memory (CPU tensors that do not require grad)."""
        if force:
            return backend.to_device(self._data, backend.Device("cpu"))
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if backend.is_cuda_array(self._data):
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                "copy the tensor to host memory first."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def __dlpack__(self, *, stream=None, **kwargs):
        """A DLPack capsule of this tensor's memory (no copy), for ``numpy.from_dlpack``,
        ``torch.from_dlpack``, ``cupy.from_dlpack``, ... A tensor that requires grad is refused,
        as in torch (``detach()`` it first)."""
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        if stream is None:
            return self._data.__dlpack__(**kwargs)
        return self._data.__dlpack__(stream=stream, **kwargs)

    def __dlpack_device__(self):
        """``(device type, index)`` as DLPack numbers them: (1, 0) for the CPU, (2, i) for
        CUDA device i."""
        return self._data.__dlpack_device__()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return backend.to_device(self._data, backend.Device("cpu")).tolist()

    def to(self, *args, **kwargs):
        """Convert dtype and/or device: ``to(dtype)``, ``to(device, dtype=None)``,
        ``to(other)``. Returns ``self`` when nothing changes (``copy=True`` forces a copy)."""
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, backend.Device)):
                device = a
            elif a is not None:
                dtype = a
        out = self
        if device is not None:
            out = _conv.to_device(out, backend.Device(device))
        if dtype is not None:
            out = _conv.to_dtype(out, dtypes.as_dtype(dtype))
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        index = device.index if isinstance(device, backend.Device) else device
        return self.to(backend.Device("cuda", index if index is not None else 0))

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def short(self):
        return self.to(dtypes.int16)

    def char(self):
        return self.to(dtypes.int8)

    def byte(self):
        return self.to(dtypes.uint8)

    def bool(self):
        return self.to(dtypes.bool_)

    def cfloat(self):
        return self.to(dtypes.complex64)

    def cdouble(self):
        return self.to(dtypes.complex128)

    def type_as(self, other):
        return self.to(other.dtype)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """Without ``dtype``, the type string ``ember.typename`` gives (``'torch.FloatTensor'``,
        named torch's way); with one, this tensor converted to it: a dtype, or a type string
        (``'torch.DoubleTensor'``, ``'torch.cuda.FloatTensor'``; ``ember.`` works as the
        prefix too), which names the device as well. Returns self when nothing changes."""
        if dtype is None:
            return _utilities.typename(self)
        if not isinstance(dtype, str):
            return self.to(dtype)
        prefix, _, name = dtype.rpartition(".")
        device = {"torch": "cpu", "ember": "cpu", "torch.cuda": "cuda", "ember.cuda": "cuda"}
        to = _TYPE_NAMES.get(name)
        if to is None or prefix not in device:
            raise ValueError(f"invalid type: '{dtype}'")
        if device[prefix] == self.device.type:
            return self.to(to)
        return self.to(device[prefix], to)

    def clone(self):
        """A copy of the data that stays in the graph (its gradient flows back to ``self``)."""
        return _conv.clone(self)

    def contiguous(self):
        return self if self._data.flags.c_contiguous else _conv.clone(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return _creation.tensor(
            data,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.zeros(
            *size,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.ones(
            *size,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return _creation.full(
            size,
            fill_value,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.empty(
            *size,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False):
        """``ember.empty_strided`` with this tensor's dtype and device by default (contiguous:
        ``stride`` is checked, not applied)."""
        return _creation.empty_strided(
            size,
            stride,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    # ------------------------------------------------------------------------ python protocol

    def __repr__(self):
        return _tensor_str.tensor_repr(self)

    def __format__(self, format_spec):
        """A 0-d tensor formats as its number (``f"{loss:.3f}"``), others as their repr."""
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_shape.unbind(self, 0))

    def __contains__(self, element):
        """``element in tensor``: whether any element equals ``element`` (a number or a
        tensor, compared elementwise with broadcasting, as torch's)."""
        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element)}."
            )
        return bool((self == element).any())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'}"
                " is ambiguous"
            )
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __getitem__(self, index):
        return _index.getitem(self, index)

    def __setitem__(self, index, value):
        _index.setitem(self, index, value)

    # ----------------------------------------------------------------------------- operators

    def __add__(self, other):
        if other.__class__ is Tensor and other._data.dtype is self._data.dtype:
            return _pw.Add.apply(self, other, 1)  # the common case, without a call
        return _pw.add(self, other)

    def __radd__(self, other):
        return _pw.add(other, self)

    def __iadd__(self, other):
        return self.add_(other)

    def __sub__(self, other):
        dtype = self._data.dtype
        if other.__class__ is Tensor and other._data.dtype is dtype and dtype.kind != "b":
            return _pw.Sub.apply(self, other, 1)  # the common case, without a call
        return _pw.sub(self, other)

    def __rsub__(self, other):
        return _pw.sub(other, self)

    def __isub__(self, other):
        return self.sub_(other)

    def __mul__(self, other):
        if other.__class__ is Tensor and other._data.dtype is self._data.dtype:
            return _pw.Mul.apply(self, other)  # the common case, without a call
        return _pw.mul(self, other)

    def __rmul__(self, other):
        return _pw.mul(other, self)

    def __imul__(self, other):
        return self.mul_(other)

    def __truediv__(self, other):
        return _pw.div(self, other)

    def __rtruediv__(self, other):
        return _pw.div(other, self)

    def __itruediv__(self, other):
        return self.div_(other)

    def __floordiv__(self, other):
        return _pw.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _pw.floor_divide(other, self)

    def __ifloordiv__(self, other):
        return self._inplace(_pw.floor_divide, other)

    def __mod__(self, other):
        return _pw.remainder(self, other)

    def __rmod__(self, other):
        return _pw.remainder(other, self)

    def __imod__(self, other):
        return self._inplace(_pw.remainder, other)

    def __pow__(self, exponent):
        return _pw.pow(self, exponent)

    def __rpow__(self, base):
        return _pw.pow(base, self)

    def __ipow__(self, exponent):
        return self.pow_(exponent)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __neg__(self):
        return _pw.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _pw.abs(self)

    def __invert__(self):
        return _pw.bitwise_not(self)

    def __and__(self, other):
        return _pw.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _pw.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _pw.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __lshift__(self, other):
        return _pw.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _pw.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return _pw.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _pw.bitwise_right_shift(other, self)

    def __iand__(self, other):
        return self._inplace(_pw.bitwise_and, other)

    def __ior__(self, other):
        return self._inplace(_pw.bitwise_or, other)

    def __ixor__(self, other):
        return self._inplace(_pw.bitwise_xor, other)

    def __ilshift__(self, other):
        return self._inplace(_pw.bitwise_left_shift, other)

    def __irshift__(self, other):
        return self._inplace(_pw.bitwise_right_shift, other)

    def __eq__(self, other):
        return _pw.eq(self, other)

    def __ne__(self, other):
        return _pw.ne(self, other)

    def __lt__(self, other):
        return _pw.lt(self, other)

    def __le__(self, other):
        return _pw.le(self, other)

    def __gt__(self, other):
        return _pw.gt(self, other)

    def __ge__(self, other):
        return _pw.ge(self, other)

    # ------------------------------------------------------------------- pointwise methods

    def add(self, other, *, alpha=1):
        return _pw.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _pw.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return _pw.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _pw.div(self, other, rounding_mode=rounding_mode)

    divide = true_divide = div

    def floor_divide(self, other):
        return _pw.floor_divide(self, other)

    def remainder(self, other):
        return _pw.remainder(self, other)

    def pow(self, exponent):
        return _pw.pow(self, exponent)

    def neg(self):
        return _pw.Neg.apply(self)

    negative = neg

    def abs(self):
        return _pw.Abs.apply(self)

    absolute = abs

    def sgn(self):
        return _pw.sgn(self)

    @property
    def real(self):
        """The real part (a view of a complex tensor; the tensor itself when real)."""
        return _complex.real(self)

    @property
    def imag(self):
        """The imaginary part of a complex tensor (a view)."""
        return _complex.imag(self)

    def conj(self):
        return _complex.conj(self)

    def conj_physical(self):
        return _complex.conj_physical(self)

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    def angle(self):
        return _complex.angle(self)

    def stft(self, n_fft, *args, **kwargs):
        """``ember.stft`` of this tensor (same arguments)."""
        return _spectral.stft(self, n_fft, *args, **kwargs)

    def istft(self, n_fft, *args, **kwargs):
        """``ember.istft`` of this tensor (same arguments)."""
        return _spectral.istft(self, n_fft, *args, **kwargs)

    def sign(self):
        return _pw.sign(self)

    # (the common unary methods call their Function directly: one Python call less per op)
    def exp(self):
        return _pw.Exp.apply(self)

    def exp2(self):
        return _pw.exp2(self)

    def log(self):
        return _pw.Log.apply(self)

    def log2(self):
        return _pw.log2(self)

    def log10(self):
        return _pw.log10(self)

    def log1p(self):
        return _pw.log1p(self)

    def expm1(self):
        return _pw.expm1(self)

    def sqrt(self):
        return _pw.Sqrt.apply(self)

    def rsqrt(self):
        return _pw.rsqrt(self)

    def square(self):
        return _pw.square(self)

    def sin(self):
        return _pw.Sin.apply(self)

    def cos(self):
        return _pw.Cos.apply(self)

    def tan(self):
        return _pw.tan(self)

    def tanh(self):
        return _pw.Tanh.apply(self)

    def sigmoid(self):
        return _pw.Sigmoid.apply(self)

    def relu(self):
        return _pw.Relu.apply(self)

    def floor(self):
        return _pw.floor(self)

    def ceil(self):
        return _pw.ceil(self)

    def round(self, *, decimals=0):
        return _pw.round(self, decimals=decimals)

    def trunc(self):
        return _pw.trunc(self)

    fix = trunc

    def clamp(self, min=None, max=None):
        return _pw.clamp(self, min, max)

    clip = clamp

    def reciprocal(self):
        return _pw.reciprocal(self)

    def erf(self):
        return _pw.erf(self)

    def sinh(self):
        return _pw.sinh(self)

    def cosh(self):
        return _pw.cosh(self)

    def asin(self):
        return _pw.asin(self)

    def acos(self):
        return _pw.acos(self)

    def atan(self):
        return _pw.atan(self)

    def asinh(self):
        return _pw.asinh(self)

    def acosh(self):
        return _pw.acosh(self)

    def atanh(self):
        return _pw.atanh(self)

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def erfc(self):
        return _pw.erfc(self)

    def erfinv(self):
        return _pw.erfinv(self)

    def frac(self):
        return _pw.frac(self)

    def atan2(self, other):
        return _pw.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        return _pw.hypot(self, other)

    def fmod(self, other):
        return _pw.fmod(self, other)

    def logaddexp(self, other):
        return _pw.logaddexp(self, other)

    def logaddexp2(self, other):
        return _pw.logaddexp2(self, other)

    def float_power(self, exponent):
        return _pw.float_power(self, exponent)

    def clamp_min(self, min):
        return _pw.clamp_min(self, min)

    def clamp_max(self, max):
        return _pw.clamp_max(self, max)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _pw.nan_to_num(self, nan, posinf, neginf)

    def maximum(self, other):
        return _pw.maximum(self, other)

    def minimum(self, other):
        return _pw.minimum(self, other)

    def lerp(self, end, weight):
        return _pw.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _pw.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _pw.addcdiv(self, tensor1, tensor2, value=value)

    def where(self, condition, other):
        return _pw.where(condition, self, other)

    def eq(self, other):
        return _pw.eq(self, other)

    def ne(self, other):
        return _pw.ne(self, other)

    def lt(self, other):
        return _pw.lt(self, other)

    def le(self, other):
        return _pw.le(self, other)

    def gt(self, other):
        return _pw.gt(self, other)

    def ge(self, other):
        return _pw.ge(self, other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def equal(self, other):
        return _pw.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _pw.allclose(self, other, rtol, atol, equal_nan)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _pw.isclose(self, other, rtol, atol, equal_nan)

    def logical_not(self):
        return _pw.logical_not(self)

    def logical_and(self, other):
        return _pw.logical_and(self, other)

    def logical_or(self, other):
        return _pw.logical_or(self, other)

    def logical_xor(self, other):
        return _pw.logical_xor(self, other)

    def isnan(self):
        return _pw.isnan(self)

    def isinf(self):
        return _pw.isinf(self)

    def isfinite(self):
        return _pw.isfinite(self)

    # the in-place forms of element-wise functions, and methods of the less common functions
    acos_, acosh_, asin_ = (
        _inplace_method("acos"),
        _inplace_method("acosh"),
        _inplace_method("asin"),
    )
    asinh_, atan_, atanh_ = (
        _inplace_method("asinh"),
        _inplace_method("atan"),
        _inplace_method("atanh"),
    )
    arccos_, arccosh_, arcsin_ = acos_, acosh_, asin_
    arcsinh_, arctan_, arctanh_ = asinh_, atan_, atanh_
    cos_, cosh_, sin_ = _inplace_method("cos"), _inplace_method("cosh"), _inplace_method("sin")
    sinh_, tan_, erf_ = _inplace_method("sinh"), _inplace_method("tan"), _inplace_method("erf")
    erfc_, erfinv_, exp2_ = (
        _inplace_method("erfc"),
        _inplace_method("erfinv"),
        _inplace_method("exp2"),
    )
    expm1_, frac_, log10_ = (
        _inplace_method("expm1"),
        _inplace_method("frac"),
        _inplace_method("log10"),
    )
    log1p_, log2_, rsqrt_ = (
        _inplace_method("log1p"),
        _inplace_method("log2"),
        _inplace_method("rsqrt"),
    )
    fix_, negative_, clip_ = (
        _inplace_method("trunc"),
        _inplace_method("neg"),
        _inplace_method("clamp"),
    )
    deg2rad_, rad2deg_, i0_ = (
        _inplace_method("deg2rad"),
        _inplace_method("rad2deg"),
        _inplace_method("i0"),
    )
    gcd_, lcm_, ldexp_ = _inplace_method("gcd"), _inplace_method("lcm"), _inplace_method("ldexp")
    logit_, sinc_, xlogy_ = (
        _inplace_method("logit"),
        _inplace_method("sinc"),
        _inplace_method("xlogy"),
    )
    copysign_, hypot_, atan2_ = (
        _inplace_method("copysign"),
        _inplace_method("hypot"),
        _inplace_method("atan2"),
    )
    igamma_, igammac_, nextafter_ = (
        _inplace_method("igamma"),
        _inplace_method("igammac"),
        _inplace_method("nextafter"),
    )
    heaviside_, mvlgamma_, digamma_ = (
        _inplace_method("heaviside"),
        _inplace_method("mvlgamma"),
        _inplace_method("digamma"),
    )
    lgamma_, remainder_ = _inplace_method("lgamma"), _inplace_method("remainder")
    copysign, fmax, fmin = (
        _method("_pw", "copysign"),
        _method("_pw", "fmax"),
        _method("_pw", "fmin"),
    )
    gcd, lcm, heaviside = _method("_pw", "gcd"), _method("_pw", "lcm"), _method("_pw", "heaviside")
    i0, igamma, igammac = _method("_pw", "i0"), _method("_pw", "igamma"), _method("_pw", "igammac")
    ldexp, frexp, logit = _method("_pw", "ldexp"), _method("_pw", "frexp"), _method("_pw", "logit")
    nextafter, signbit, sinc = (
        _method("_pw", "nextafter"),
        _method("_pw", "signbit"),
        _method("_pw", "sinc"),
    )
    rad2deg, deg2rad, isposinf = (
        _method("_pw", "rad2deg"),
        _method("_pw", "deg2rad"),
        _method("_pw", "isposinf"),
    )
    isneginf, isreal, positive = (
        _method("_pw", "isneginf"),
        _method("_pw", "isreal"),
        _method("_pw", "positive"),
    )
    mvlgamma = _method("_pw", "mvlgamma")
    aminmax, nanmedian, mode = (
        _method("_red", "aminmax"),
        _method("_red", "nanmedian"),
        _method("_red", "mode"),
    )
    logcumsumexp, dist, renorm = (
        _method("_red", "logcumsumexp"),
        _method("_red", "dist"),
        _method("_red", "renorm"),
    )
    renorm_ = _inplace_method("renorm")
    quantile, nanquantile = _method("_stats", "quantile"), _method("_stats", "nanquantile")
    histc, histogram = _method("_stats", "histc"), _method("_stats", "histogram")
    cov, corrcoef = _method("_stats", "cov"), _method("_stats", "corrcoef")
    tensor_split, hsplit = _method("_shape", "tensor_split"), _method("_shape", "hsplit")
    vsplit, dsplit, ravel = (
        _method("_shape", "vsplit"),
        _method("_shape", "dsplit"),
        _method("_shape", "ravel"),
    )
    split_with_sizes, narrow_copy = (
        _method("_shape", "split_with_sizes"),
        _method("_shape", "narrow_copy"),
    )
    diagflat, msort = _method("_shape", "diagflat"), _method("_shape", "msort")
    take, put, index_fill = (
        _method("_index", "take"),
        _method("_index", "put"),
        _method("_index", "index_fill"),
    )
    index_reduce, scatter_reduce = (
        _method("_index", "index_reduce"),
        _method("_index", "scatter_reduce"),
    )
    masked_scatter, select_scatter = (
        _method("_index", "masked_scatter"),
        _method("_index", "select_scatter"),
    )
    slice_scatter, diagonal_scatter = (
        _method("_index", "slice_scatter"),
        _method("_index", "diagonal_scatter"),
    )
    as_strided = _method("_index", "as_strided")
    addmv, addr, addbmm = (
        _method("_linalg", "addmv"),
        _method("_linalg", "addr"),
        _method("_linalg", "addbmm"),
    )
    ger = _method("_linalg", "ger")
    is_nonzero, is_same_size = (
        _method("_utilities", "is_nonzero"),
        _method("_utilities", "is_same_size"),
    )
    is_signed, is_inference = (
        _method("_utilities", "is_signed"),
        _method("_utilities", "is_inference"),
    )
    bitwise_and, bitwise_or, bitwise_xor = (
        _method("_pw", "bitwise_and"),
        _method("_pw", "bitwise_or"),
        _method("_pw", "bitwise_xor"),
    )
    bitwise_not, bitwise_left_shift, bitwise_right_shift = (
        _method("_pw", "bitwise_not"),
        _method("_pw", "bitwise_left_shift"),
        _method("_pw", "bitwise_right_shift"),
    )
    bitwise_and_, bitwise_or_, bitwise_xor_ = (
        _inplace_method("bitwise_and"),
        _inplace_method("bitwise_or"),
        _inplace_method("bitwise_xor"),
    )
    bitwise_not_, bitwise_left_shift_, bitwise_right_shift_ = (
        _inplace_method("bitwise_not"),
        _inplace_method("bitwise_left_shift"),
        _inplace_method("bitwise_right_shift"),
    )
    digamma, lgamma, xlogy = (
        _method("_pw", "digamma"),
        _method("_pw", "lgamma"),
        _method("_pw", "xlogy"),
    )
    sgn_, floor_divide_ = _inplace_method("sgn"), _inplace_method("floor_divide")
    conj_physical_ = _inplace_method("conj_physical", "_complex")
    eq_, ne_, lt_ = (
        _inplace_test_method("eq"),
        _inplace_test_method("ne"),
        _inplace_test_method("lt"),
    )
    le_, gt_, ge_ = (
        _inplace_test_method("le"),
        _inplace_test_method("gt"),
        _inplace_test_method("ge"),
    )
    greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_
    logical_and_, logical_or_ = (
        _inplace_test_method("logical_and"),
        _inplace_test_method("logical_or"),
    )
    logical_xor_, logical_not_ = (
        _inplace_test_method("logical_xor"),
        _inplace_test_method("logical_not"),
    )
    hardshrink, prelu = _method("_act", "hardshrink"), _method("_act", "prelu")
    bernoulli, multinomial = _method("_random", "bernoulli"), _method("_random", "multinomial")
    cumsum_, cumprod_ = _inplace_method("cumsum", "_red"), _inplace_method("cumprod", "_red")
    diag_embed, select = _method("_shape", "diag_embed"), _method("_shape", "select")
    fliplr, flipud = _method("_shape", "fliplr"), _method("_shape", "flipud")
    tril_, triu_ = _inplace_method("tril", "_shape"), _inplace_method("triu", "_shape")
    index_add, index_copy, take_along_dim = (
        _method("_index", "index_add"),
        _method("_index", "index_copy"),
        _method("_index", "take_along_dim"),
    )
    index_add_, index_copy_ = (
        _inplace_method("index_add", "_index"),
        _inplace_method("index_copy", "_index"),
    )
    addmm, baddbmm, mv = (
        _method("_linalg", "addmm"),
        _method("_linalg", "baddbmm"),
        _method("_linalg", "mv"),
    )
    addmm_, baddbmm_ = _inplace_method("addmm", "_linalg"), _inplace_method("baddbmm", "_linalg")
    addbmm_, addr_ = _inplace_method("addbmm", "_linalg"), _inplace_method("addr", "_linalg")

    def polygamma(self, n):
        return _pw.polygamma(n, self)

    def polygamma_(self, n):
        return self._inplace(lambda input: _pw.polygamma(n, input))

    def put_(self, index, source, accumulate=False):
        return self._inplace(_index.put, index, source, accumulate)

    def index_fill_(self, dim, index, value):
        return self._inplace(_index.index_fill, dim, index, value)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return self._inplace(
            _index.index_reduce, dim, index, source, reduce, include_self=include_self
        )

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._inplace(
            _index.scatter_reduce, dim, index, src, reduce, include_self=include_self
        )

    def masked_scatter_(self, mask, source):
        return self._inplace(_index.masked_scatter, mask, source)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return self._inplace(_linalg.addmv, mat, vec, beta=beta, alpha=alpha)

    # ------------------------------------------------------------------- reduction methods

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _red.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _red.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _red.prod(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _red.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _red.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return _red.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _red.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _red.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _red.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _red.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _red.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _red.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _red.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _red.cumprod(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _decomp.norm(self, p, dim, keepdim, dtype)

    def median(self, dim=None, keepdim=False):
        return _red.median(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _red.count_nonzero(self, dim)

    def all(self, dim=None, keepdim=False):
        return _red.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _red.any(self, dim, keepdim)

    def sum_to_size(self, *size):
        return _red.sum_to_size(self, _sizes(size))

    def softmax(self, dim, dtype=None):
        return _act.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return _act.log_softmax(self, dim, dtype=dtype)

    # ----------------------------------------------------------------------- shape methods

    def reshape(self, *shape):
        return _shape.reshape(self, _sizes(shape))

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (numbers.Integral, tuple, list, Size)):
            return _shape.view_dtype(self, shape[0])
        return _shape.view(self, _sizes(shape))

    def view_as(self, other):
        return _shape.view(self, other._data.shape)

    def reshape_as(self, other):
        return _shape.reshape(self, other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _shape.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _shape.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _shape.unsqueeze(self, dim)

    def permute(self, *dims):
        return _shape.permute(self, _sizes(dims))

    def transpose(self, dim0, dim1):
        return _shape.transpose(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def t(self):
        return _shape.t(self)

    def expand(self, *sizes):
        return _shape.expand(self, _sizes(sizes))

    def expand_as(self, other):
        return _shape.expand(self, other._data.shape)

    def broadcast_to(self, shape):
        return _shape.expand(self, tuple(shape))

    def repeat(self, *repeats):
        return _shape.repeat(self, _sizes(repeats))

    def tile(self, *dims):
        return _shape.tile(self, _sizes(dims))

    def flip(self, *dims):
        return _shape.flip(self, _sizes(dims))

    def roll(self, shifts, dims=None):
        return _shape.roll(self, shifts, dims)

    def movedim(self, source, destination):
        return _shape.movedim(self, source, destination)

    moveaxis = movedim

    def narrow(self, dim, start, length):
        return _shape.narrow(self, dim, start, length)

    def split(self, split_size, dim=0):
        return _shape.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _shape.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _shape.unbind(self, dim)

    def tril(self, diagonal=0):
        return _shape.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _shape.triu(self, diagonal)

    def diag(self, diagonal=0):
        return _shape.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _shape.diagonal(self, offset, dim1, dim2)

    def unfold(self, dimension, size, step):
        """Every slice of ``size`` elements along ``dimension``, one each ``step`` elements,
        as a new last dimension: shape ``(..., (n - size) // step + 1, ..., size)``.

        A strided view of this tensor's memory, no copy (its gradient adds the windows back
        up where they overlap). Like ``diagonal()``'s, the view is not tracked as one: write
        into a clone of it, not into it.
        """
        ndim = self._data.ndim
        dim = _wrap_dim(dimension, ndim)
        length = self._data.shape[dim] if ndim else 1
        if size < 0:
            raise RuntimeError(f"size is {size} but must be >= 0")
        if size > length:
            raise RuntimeError(
                f"maximum size for tensor at dimension {dim} is {length} but size is {size}"
            )
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if ndim == 0:
            return _spectral.Frame.apply(_shape.reshape(self, (1,)), size, step)[0]
        windows = _spectral.Frame.apply(_shape.movedim(self, dim, -1), size, step)
        return _shape.movedim(windows, -2, dim)

    # -------------------------------------------------------------------- indexing methods

    def gather(self, dim, index):
        return _index.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _index.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return _index.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return _index.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return _index.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return _index.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return _index.nonzero(self, as_tuple=as_tuple)

    # ---------------------------------------------------------------- linear algebra, sort

    def matmul(self, other):
        return _linalg.matmul(self, other)

    def mm(self, mat2):
        return _linalg.mm(self, mat2)

    def bmm(self, mat2):
        return _linalg.bmm(self, mat2)

    def outer(self, vec2):
        return _linalg.outer(self, vec2)

    def dot(self, other):
        return _linalg.dot(self, other)

    def vdot(self, other):
        return _linalg.vdot(self, other)

    def inner(self, other):
        return _linalg.inner(self, other)

    def kron(self, other):
        return _linalg.kron(self, other)

    def trace(self):
        return _linalg.trace(self)

    def cross(self, other, dim=None):
        return _linalg.cross(self, other, dim)

    def det(self):
        return _decomp.det(self)

    def logdet(self):
        return _decomp.logdet(self)

    def slogdet(self):
        return _decomp.slogdet(self)

    def inverse(self):
        return _decomp.inverse(self)

    def cholesky(self, upper=False):
        return _decomp.cholesky(self, upper)

    def cholesky_solve(self, input2, upper=False):
        return _decomp.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return _decomp.cholesky_inverse(self, upper)

    def qr(self, some=True):
        return _decomp.qr(self, some)

    def svd(self, some=True, compute_uv=True):
        return _decomp.svd(self, some, compute_uv)

    def pinverse(self, rcond=1e-15):
        return _decomp.pinverse(self, rcond)

    def matrix_power(self, n):
        return _decomp.matrix_power(self, n)

    def matrix_exp(self):
        return _decomp.matrix_exp(self)

    def lu_solve(self, LU_data, LU_pivots):
        return _decomp.lu_solve(self, LU_data, LU_pivots)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        return _decomp.triangular_solve(self, A, upper, transpose, unitriangular)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _shape.diff(self, n, dim, prepend, append)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        if repeats is None:
            return _shape.repeat_interleave(self, output_size=output_size)
        return _shape.repeat_interleave(self, repeats, dim, output_size=output_size)

    def rot90(self, k=1, dims=(0, 1)):
        return _shape.rot90(self, k, dims)

    def argwhere(self):
        return _shape.argwhere(self)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _sort.kthvalue(self, k, dim, keepdim)

    def bincount(self, weights=None, minlength=0):
        return _red.bincount(self, weights, minlength)

    def cummax(self, dim):
        return _red.cummax(self, dim)

    def cummin(self, dim):
        return _red.cummin(self, dim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _red.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _red.nanmean(self, dim, keepdim, dtype=dtype)

    def sort(self, dim=-1, descending=False, stable=False):
        return _sort.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _sort.argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _sort.topk(self, k, dim, largest, sorted)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _sort.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _sort.unique_consecutive(self, return_inverse, return_counts, dim)

    # ------------------------------------------------------------------ in-place operations

    def _inplace(self, op, *args, **kwargs):
        """Run ``op(self, *args)`` and write the result into this tensor's memory.

        Views of this tensor see the change. When autograd records, this tensor's history is
        rebased onto the operation, as in torch; the old value is copied aside only if the
        operation saved it for backward.
        """
        records = self._writes_recorded() or (
            _grad_mode.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
        )
        if not records:
            self._write(op(self, *args, **kwargs)._data)
            return self
        if self._base is not None:
            return _index.write_through_view(self, op, args, kwargs)
        if self._grad_fn is None and self._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        old = self._snapshot()
        since = _function._next_seq()
        out = op(old, *args, **kwargs)
        _function.keep_saved_copies(out, old._data, since)
        self._write(out._data)
        self._rebase(out)
        return self

    def _writes_recorded(self):
        """Whether autograd records an in-place write into this tensor: in grad mode, when it
        or the base it is a view of requires grad (whatever is written)."""
        base = self._base
        return _grad_mode.enabled and (
            self._requires_grad or (base is not None and base._requires_grad)
        )

    def _snapshot(self):
        """A tensor over this one's memory with its history as it is now, before an in-place
        write rebases it (a leaf is its own history)."""
        if self._grad_fn is None and self._requires_grad:
            return self
        return Tensor._make(self._data, self._requires_grad, self._grad_fn, self._output_nr)

    def _rebase(self, source):
        """Take the history of ``source``, whose values an in-place write put into this
        tensor; views of it follow when next used (see ``_refresh_view``)."""
        self._requires_grad = source._requires_grad
        self._grad_fn, self._output_nr = source._grad_fn, source._output_nr
        self._history_at = _versions.clock

    def _write(self, array):
        """Store ``array`` into this tensor's memory, with torch's shape and casting checks."""
        if array.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(array.shape)}"
            )
        src, dst = dtypes.from_numpy(array.dtype), self.dtype
        if src._category > dst._category:
            raise RuntimeError(
                f"result type {src.scalar_name} can't be cast to the desired output type "
                f"{dst.scalar_name}"
            )
        self._data[...] = array
        _versions.bump(self._data)

    def _check_inplace_fill(self):
        if _grad_mode.enabled and self._requires_grad and self._grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )

    def add_(self, other, *, alpha=1):
        return self._inplace(_pw.add, other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        return self._inplace(_pw.sub, other, alpha=alpha)

    def mul_(self, other):
        return self._inplace(_pw.mul, other)

    def div_(self, other, *, rounding_mode=None):
        return self._inplace(_pw.div, other, rounding_mode=rounding_mode)

    subtract_, multiply_, divide_, true_divide_ = sub_, mul_, div_, div_

    def float_power_(self, exponent):
        complex_ = isinstance(exponent, complex) or (
            isinstance(exponent, Tensor) and exponent.is_complex()
        )
        result = dtypes.complex128 if complex_ or self.is_complex() else dtypes.float64
        if self.dtype != result:
            raise RuntimeError(
                f"the base given to float_power_ has dtype {self.dtype.scalar_name} but the "
                f"operation's result requires dtype {result.scalar_name}"
            )
        return self._inplace(_pw.float_power, exponent)

    def pow_(self, exponent):
        return self._inplace(_pw.pow, exponent)

    def clamp_(self, min=None, max=None):
        return self._inplace(_pw.clamp, min, max)

    clip_ = clamp_
    arctan2_ = atan2_

    def clamp_min_(self, min):
        return self._inplace(_pw.clamp_min, min)

    def clamp_max_(self, max):
        return self._inplace(_pw.clamp_max, max)

    def fmod_(self, other):
        return self._inplace(_pw.fmod, other)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace(_pw.nan_to_num, nan, posinf, neginf)

    def neg_(self):
        return self._inplace(_pw.neg)

    def abs_(self):
        return self._inplace(_pw.abs)

    absolute_ = abs_

    def exp_(self):
        return self._inplace(_pw.exp)

    def log_(self):
        return self._inplace(_pw.log)

    def sqrt_(self):
        return self._inplace(_pw.sqrt)

    def square_(self):
        return self._inplace(_pw.square)

    def reciprocal_(self):
        return self._inplace(_pw.reciprocal)

    def sigmoid_(self):
        return self._inplace(_pw.sigmoid)

    def tanh_(self):
        return self._inplace(_pw.tanh)

    def relu_(self):
        return _pw.relu_(self)

    def floor_(self):
        return self._inplace(_pw.floor)

    def ceil_(self):
        return self._inplace(_pw.ceil)

    def round_(self, *, decimals=0):
        return self._inplace(_pw.round, decimals=decimals)

    def trunc_(self):
        return self._inplace(_pw.trunc)

    def sign_(self):
        return self._inplace(_pw.sign)

    def lerp_(self, end, weight):
        return self._inplace(_pw.lerp, end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self._inplace(_pw.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self._inplace(_pw.addcdiv, tensor1, tensor2, value=value)

    def masked_fill_(self, mask, value):
        return self._inplace(_index.masked_fill, mask, value)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(_index.scatter, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim, index, src):
        return self._inplace(_index.scatter_add, dim, index, src)

    def index_put_(self, indices, values, accumulate=False):
        """Write ``values`` (broadcast) at ``self[indices]``, ``indices`` a tuple of index
        tensors; with ``accumulate``, add them instead, repeated positions adding up."""
        return self._inplace(_index_put, indices, values, accumulate)

    def index_put(self, indices, values, accumulate=False):
        """Out of place ``index_put_``."""
        return _index_put(self, indices, values, accumulate)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal (all indices equal) with ``fill_value``. A tall matrix's
        diagonal stops at its last column, or with ``wrap`` starts again every
        ``columns + 1`` rows, like numpy's ``fill_diagonal``."""
        shape = self._data.shape
        if len(shape) < 2:
            raise RuntimeError("dimensions must larger than 1")
        if len(shape) > 2 and len(set(shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        mask = np.zeros(shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        mask = Tensor._make(backend.to_device(mask, self.device))
        return self._inplace(_index.masked_fill, mask, fill_value)

    # in-place view operations: a new shape and strides over the same values

    def _inplace_view(self, op, *args):
        """Make this tensor the view ``op(self, *args)`` of its own memory, as torch's in-place
        view operations (``squeeze_``, ``transpose_``, ...) change a tensor's shape and strides
        but not its values. Counted as an in-place write; when autograd records, the tensor's
        history becomes the view's (a view of it follows when next used)."""
        records = self._writes_recorded()
        if records:
            base = self._base
            if base is not None and base._grad_fn is None and base._requires_grad:
                raise RuntimeError(
                    "a view of a leaf Variable that requires grad is being used in an in-place "
                    "operation."
                )
            self._check_inplace_fill()
        out = op(self, *args)
        if out is not self:
            if not backend.array_module(out._data).may_share_memory(out._data, self._data):
                self._base = None  # new memory (as_strided_ copies): no longer a view
            self._data = out._data
            _versions.bump(self._data)
            if records:
                self._rebase(out)
        return self

    def squeeze_(self, dim=None):
        return self._inplace_view(_shape.squeeze, dim)

    def unsqueeze_(self, dim):
        return self._inplace_view(_shape.unsqueeze, dim)

    def transpose_(self, dim0, dim1):
        return self._inplace_view(_shape.transpose, dim0, dim1)

    swapaxes_ = swapdims_ = transpose_

    def t_(self):
        ndim = self._data.ndim
        if ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {ndim}D")
        return self._inplace_view(_shape.t)

    def as_strided_(self, size, stride, storage_offset=0):
        """``self`` made ``ember.as_strided(self, size, stride, storage_offset)``. As that
        function copies (it reads the tensor's elements in row-major order), this tensor gets
        new memory holding the result: views of its old memory no longer see it."""
        return self._inplace_view(_index.as_strided, size, stride, storage_offset)

    def resize_(self, *sizes, memory_format=None):
        """Give this tensor the shape ``sizes``, keeping its first elements (row-major order).

        torch keeps the storage: shrinking views its first elements, growing reallocates
        with them copied in front. Ember does the same for a contiguous tensor (a view of
        its own first elements when they suffice); otherwise it allocates new memory and
        copies the elements that fit. Elements past the old ones are uninitialised.
        """
        if self._requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        shape = _sizes(sizes)
        n = math.prod(shape)
        flat = self._data.reshape(-1)
        if self._data.flags.c_contiguous and n <= flat.size:
            data = flat[:n].reshape(shape)
        else:
            data = backend.array_module(flat).empty(shape, dtype=flat.dtype)
            kept = min(n, flat.size)
            data.reshape(-1)[:kept] = flat[:kept]
            self._base = None
        self._data = data
        _versions.bump(data)
        return self

    def resize_as_(self, the_template, memory_format=None):
        return self.resize_(the_template._data.shape)

    def apply_(self, callable):
        """Replace each element ``x`` by ``callable(x)``, a Python function called once per
        element: CPU tensors only, and slow, as in torch."""
        if backend.is_cuda_array(self._data):
            raise TypeError("apply_ is only implemented on CPU tensors")
        if self._requires_grad:
            raise RuntimeError(
                "Can't call apply_() on Variable that requires grad. Use var.detach().apply_() "
                "instead."
            )
        if self._data.size:
            self._write(np.vectorize(callable, otypes=[self._data.dtype])(self._data))
        return self

    def copy_(self, src, non_blocking=False):
        """Copy ``src`` (broadcast, converted to this dtype and device) into this tensor."""
        return self._inplace(_conv.copy_from, src)

    def fill_(self, value):
        value = value.item() if isinstance(value, Tensor) else value
        if self._writes_recorded():
            # recorded: the old values get no gradient from here on
            everywhere = backend.array_module(self._data).ones((), dtype=bool)
            return self._inplace(_index.masked_fill, Tensor._make(everywhere), value)
        self._data.fill(value)
        _versions.bump(self._data)
        return self

    def zero_(self):
        return self.fill_(0)

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        self._check_inplace_fill()
        self._write(_random.uniform_array(self._data, from_, to, generator))
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        self._check_inplace_fill()
        self._write(_random.normal_array(self._data, mean, std, generator))
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        self._check_inplace_fill()
        self._write(_random.bernoulli_array(self._data, p, generator))
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        self._check_inplace_fill()
        self._write(_random.exponential_array(self._data, lambd, generator))
        return self

    def random_(self, from_=0, to=None, *, generator=None):
        self._check_inplace_fill()
        self._write(_random.random_array(self._data, from_, to, generator))
        return self

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with draws from the Cauchy distribution ``median + sigma * tan(pi (u - 1/2))``."""
        if self._data.dtype.kind != "f":
            raise RuntimeError(
                "Cauchy distribution is a continuous probability distribution. dtype must be a "
                f"floating point but you specified {self.dtype.cpp_name}"
            )
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        self._check_inplace_fill()
        u = _random.uniform_array(self._data, 0, 1, generator)
        self._write(median + sigma * backend.array_module(u).tan(math.pi * (u - 0.5)))
        return self

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with ``exp(z)``, ``z`` drawn from the normal distribution ``(mean, std)``."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(
                f"\"log_normal_cpu\" not implemented for '{self.dtype.scalar_name}'"
            )
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        self._check_inplace_fill()
        z = _random.normal_array(self._data, mean, std, generator)
        self._write(backend.array_module(z).exp(z))
        return self

    def geometric_(self, p, *, generator=None):
        """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2,
        ...): the geometric distribution, any dtype."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        self._check_inplace_fill()
        xp = backend.array_module(self._data)
        u = _random.uniform_array(xp.empty(self._data.shape, np.float64), 0, 1, generator)
        trials = xp.maximum(xp.ceil(xp.log1p(-u) / math.log1p(-p)), 1)
        self._write(trials.astype(self._data.dtype))
        return self


def reset_grads(params, set_to_none=True):
    """``zero_grad`` of modules and optimizers: drop each ``.grad`` (default) or detach it and
    fill it with zeros, as torch does."""
    for p in params:
        grad = p.grad
        if grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            grad.detach_()
            grad.zero_()


# torch's tensor type names (``FloatTensor``, ...), as ``Tensor.type`` takes them
_TYPE_NAMES = {d.scalar_name + "Tensor": d for d in dtypes.ALL}


def _address(array):
    """Where the first element of the numpy or cupy ``array`` lies in memory."""
    return array.__array_interface__["data"][0] if isinstance(array, np.ndarray) else array.data.ptr


def _memory_owner(array):
    """The array whose memory ``array`` views (itself when it owns its memory)."""
    kind = type(array)
    owner = array
    while True:
        base = owner.base
        if base is not None and not isinstance(base, kind):
            base = getattr(base, "base", None)  # numpy's as_strided views through a DummyArray
        if not isinstance(base, kind):
            return owner
        owner = base


def _index_put(input, indices, values, accumulate):
    """``input`` with ``values`` written (added, with ``accumulate``) at ``input[indices]``,
    out of place: ``put`` at the flat positions those indices select."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            "index_put_(): argument 'indices' (position 1) must be tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    if not isinstance(values, Tensor):
        raise TypeError(
            "index_put_(): argument 'values' (position 2) must be Tensor, not "
            f"{type(values).__name__}"
        )
    if values.dtype != input.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{input.dtype.scalar_name} for the destination and {values.dtype.scalar_name} for "
            "the source."
        )
    xp = backend.array_module(input._data)
    everywhere = Tensor._make(xp.arange(input._data.size).reshape(input._data.shape))
    positions = everywhere[tuple(indices)]
    return _index.put(input, positions, _shape.expand(values, positions._data.shape), accumulate)


def _wrap_dim(dim, ndim):
    """Normalise a possibly negative ``dim`` against ``ndim`` with torch's error message."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


# The knot: operation modules build on Tensor and Function; Tensor's methods call them.
from . import _creation, _tensor_str, _utilities  # noqa: E402
from . import random as _random  # noqa: E402
from .autograd import function as _function  # noqa: E402  (first: it needs Tensor defined)
from .autograd.grad_mode import _state as _grad_mode  # noqa: E402
from .ops import activation as _act  # noqa: E402
from .ops import complex as _complex  # noqa: E402
from .ops import conversion as _conv  # noqa: E402
from .ops import decomposition as _decomp  # noqa: E402
from .ops import indexing as _index  # noqa: E402
from .ops import linalg as _linalg  # noqa: E402
from .ops import pointwise as _pw  # noqa: E402
from .ops import reduction as _red  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .ops import sorting as _sort  # noqa: E402
from .ops import spectral as _spectral  # noqa: E402
from .ops import statistics as _stats  # noqa: E402, F401  (through _method)
