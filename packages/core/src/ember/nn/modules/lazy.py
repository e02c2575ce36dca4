"""``LazyModuleMixin``: modules whose parameter shapes come from their first input."""

from __future__ import annotations

import itertools

from ...autograd.grad_mode import no_grad
from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """A mixin for modules that lazily initialize parameters, also known as "lazy modules".

    Warning:
        Lazy modules are an experimental new feature under active development, and their
        API is likely to change.

    Modules that lazily initialize parameters, or "lazy modules", derive the shapes of their
    parameters from the first input(s) to their forward method. Until that first forward they
    contain ``ember.nn.UninitializedParameter`` s that should not be accessed or used, and
    afterward they contain regular ``ember.nn.Parameter`` s. Lazy modules are convenient
    since they don't require computing some module arguments, like the ``in_features``
    argument of a typical ``ember.nn.Linear``.

    After construction, networks with lazy modules should first be converted to the desired
    dtype and placed on the expected device. This is because lazy modules only perform shape
    inference so the usual dtype and device placement behavior applies. The lazy modules
    should then perform "dry runs" to initialize all the components in the module. These "dry
    runs" send inputs of the correct size, dtype, and device through the network and to each
    one of its lazy modules. After this the network can be used as usual; a module whose
    ``cls_to_become`` is set (``LazyLinear``'s is ``Linear``) has become that class.

    A final caveat when using lazy modules is that the order of initialization of a network's
    parameters may change, since the lazy modules are always initialized after other
    modules, so a network drawn from the same seed can be initialised differently than its
    eager twin.

    Lazy modules can be serialized with a state dict like other modules: before the dry run
    the state dict holds the ``UninitializedParameter`` s themselves, and loading a state dict
    of initialized tensors into a lazy module materializes its parameters with their shapes
    (a later dry run then keeps the loaded values).

    Example:
        >>> class LazyMLP(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = nn.LazyLinear(10)
        ...         self.fc2 = nn.LazyLinear(1)
        ...
        ...     def forward(self, input):
        ...         return self.fc2(self.fc1(input).relu())
        >>> lazy_mlp = LazyMLP()
        >>> lazy_mlp.fc1
        LazyLinear(in_features=0, out_features=10, bias=True)
        >>> lazy_mlp(ember.ones(10, 10))  # the dry run
        >>> lazy_mlp.fc1
        Linear(in_features=10, out_features=10, bias=True)
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # an uninitialized parameter is saved as itself: it has no data to detach
        for name, param in self._parameters.items():
            if param is not None:
                if not (is_lazy(param) or keep_vars):
                    param = param.detach()
                destination[prefix + name] = param
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                if not (is_lazy(buf) or keep_vars):
                    buf = buf.detach()
                destination[prefix + name] = buf

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        # torch's load pre-hook: an uninitialized parameter or buffer takes the shape of the
        # initialized tensor it is about to load, so a state dict saved before or after the
        # dry run loads into a module before or after its own.
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                input_param = state_dict[key]
                if not is_lazy(input_param):
                    with no_grad():
                        param.materialize(input_param.shape)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def initialize_parameters(self, *args, **kwargs):
        """Initialize parameters according to the input batch properties.

        This adds an interface to isolate parameter initialization from the forward pass
        when doing parameter shape inference.
        """
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self):
        """Check if a module has parameters that are not initialized."""
        return any(
            is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values())
        )

    def _infer_parameters(self, module, args, kwargs=None):
        """The forward pre-hook: infers the size and initializes the parameters according to
        the provided input batch, then removes itself and turns the module into
        ``cls_to_become``."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become
