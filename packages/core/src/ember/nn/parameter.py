"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights;
``Buffer``, one it registers as state; and their uninitialised forms that lazy modules hold
until their first forward."""

from __future__ import annotations

from .._creation import empty
from .._tensor import Tensor

__all__ = [
    "Parameter",
    "UninitializedParameter",
    "is_lazy",
    "Buffer",
    "UninitializedBuffer",
    "UninitializedTensorMixin",
]


class Parameter(Tensor):
    """A Tensor that is a module parameter.

    Assigning a Parameter as an attribute of a ``Module`` registers it: it then appears in
    ``parameters()`` and ``state_dict()``. The parameter shares ``data``'s memory and is a leaf
    of the graph (gradients accumulate into its ``.grad``). Operations on it return plain
    tensors, as in torch.

    Args:
        data: the tensor to wrap (default: an empty tensor).
        requires_grad: whether the parameter requires gradient (default ``True``).
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        self._init(data._data, False)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A kind of Tensor that should not be considered a model parameter. For example,
    BatchNorm's ``running_mean`` is not a parameter, but is part of the module's state.

    Assigning a Buffer as an attribute of a ``Module`` registers it as a buffer: it then
    appears in ``buffers()`` and, when ``persistent``, in ``state_dict()``. Assigning a plain
    Tensor has no such effect (``register_buffer`` registers one explicitly). The buffer shares
    ``data``'s memory, is cut from its graph and keeps its ``requires_grad``.

    Args:
        data: buffer tensor (default: an empty tensor).
        persistent: whether the buffer is part of the module's ``state_dict`` (default
            ``True``).
    """

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer data must be a Tensor, got {type(data).__name__}")
        self._init(data._data, data.requires_grad)
        self.persistent = persistent


def _array(t):
    """The backend array of an uninitialised tensor, past the guard on ``_data``."""
    return Tensor._data.__get__(t)


class UninitializedTensorMixin:
    """What ``UninitializedParameter`` and ``UninitializedBuffer`` share: they hold no data
    yet (an empty array records their device and dtype) and every operation on them raises,
    as in torch, except changing their dtype or device and ``materialize``."""

    __slots__ = ()

    @property
    def _data(self):
        # Every operation reads its operands' arrays through ``_data``: this is where an
        # uninitialised tensor refuses to be used (torch refuses in __torch_function__).
        raise ValueError(
            "Attempted to use an uninitialized parameter. This error happens when you are "
            "using a `LazyModule` or explicitly manipulating "
            f"`ember.nn.parameter.{type(self).__name__}` objects. When using LazyModules Call "
            "`forward` with a dummy batch to initialize the parameters before calling ember "
            "functions"
        )

    @_data.setter
    def _data(self, array):
        Tensor._data.__set__(self, array)

    def materialize(self, shape, device=None, dtype=None):
        """Create a Parameter or Tensor with the same properties of the uninitialized one.

        Given a shape, it materializes a parameter in the same device and with the same
        ``dtype`` as the current one or the specified ones in the arguments.

        Args:
            shape: the shape for the materialized tensor.
            device: the desired device of the parameters and buffers in this module.
                Optional.
            dtype: the desired floating point type of the floating point parameters and
                buffers in this module. Optional.
        """
        data = empty(
            shape,
            device=self.device if device is None else device,
            dtype=self.dtype if dtype is None else dtype,
        )
        self._data = data._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes."
        )

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`."
        )

    def __repr__(self):
        return f"<{type(self).__name__}>"

    # What torch still allows on an uninitialised tensor: its metadata, copying (between
    # uninitialised tensors) and conversions, which give a plain empty tensor (a new
    # uninitialised one for buffers).

    @property
    def data(self):
        return Tensor._make(_array(self))

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = _array(value) if is_lazy(value) else value._data

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return self.data.device

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def size(self, dim=None):
        return self.data.size(dim)

    def is_floating_point(self):
        return self.data.is_floating_point()

    def is_complex(self):
        return self.data.is_complex()

    def get_device(self):
        return self.data.get_device()

    def copy_(self, src, non_blocking=False):
        self.data.copy_(src.data if is_lazy(src) else src)
        return self

    def to(self, *args, **kwargs):
        return self._converted(self.data.to(*args, **kwargs))

    def _converted(self, tensor):
        return tensor

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self._new(self.device, self.dtype)
        return memo[id(self)]


def is_lazy(param):
    """Returns whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter that is not initialized.

    Uninitialized Parameters are a special case of ``ember.nn.Parameter`` where the shape of
    the data is still unknown.

    Unlike a ``Parameter``, uninitialized parameters hold no data and attempting to access
    some properties, like their shape, will throw a runtime error. The only operations that
    can be performed on an uninitialized parameter are changing its datatype, moving it to a
    different device and converting it to a regular ``Parameter``.

    The default device or dtype to use when the parameter is materialized can be set during
    construction using e.g. ``device='cuda'``.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        self._init(empty(0, device=device, dtype=dtype)._data, requires_grad)

    def _new(self, device, dtype):
        return UninitializedParameter(self.requires_grad, device, dtype)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer that is not initialized.

    Uninitialized Buffer is a special case of ``ember.Tensor`` where the shape of the data is
    still unknown.

    Unlike a ``Tensor``, uninitialized buffers hold no data and attempting to access some
    properties, like their shape, will throw a runtime error. The only operations that can be
    performed on an uninitialized buffer are changing its datatype, moving it to a different
    device and converting it to a regular tensor.

    The default device or dtype to use when the buffer is materialized can be set during
    construction using e.g. ``device='cuda'``.

    It materializes into an ``nn.Buffer`` (a Tensor that still says whether it is
    persistent), as torch's is a tensor that keeps its buffer flag.
    """

    __slots__ = ()
    cls_to_become = Buffer

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        self._init(empty(0, device=device, dtype=dtype)._data, requires_grad)
        self.persistent = persistent

    def _new(self, device, dtype):
        return UninitializedBuffer(self.requires_grad, device, dtype, self.persistent)

    def _converted(self, tensor):
        return self._new(tensor.device, tensor.dtype)
