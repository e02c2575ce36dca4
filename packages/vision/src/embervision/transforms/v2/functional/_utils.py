"""The kernel registry of the v2 functionals: each functional looks up the kernel registered
for the type of its input (walking the type's MRO) and calls it; and what the kernels share
(interpolation modes, torchvision's per-type kernel names)."""

from __future__ import annotations

import functools
import inspect

from PIL import Image as PILImage

from ember import Tensor

from ....tv_tensors import BoundingBoxes, Image, KeyPoints, TVTensor, Video, wrap
from ....tv_tensors import _as_plain as as_plain
from ...functional import InterpolationMode, _interpolation_modes_from_int

# functional -> {input type -> kernel}
_KERNEL_REGISTRY = {}


def is_pure_tensor(inpt):
    """Whether ``inpt`` is a Tensor but not a TVTensor."""
    return isinstance(inpt, Tensor) and not isinstance(inpt, TVTensor)


def _accepted(kernel, kwargs):
    """The part of ``kwargs`` that ``kernel`` takes (a mask kernel has no ``interpolation``,
    a box kernel no ``fill``: the dispatcher passes them all)."""
    params = inspect.signature(kernel).parameters
    return {name: value for name, value in kwargs.items() if name in params}


def _named(functional, inpt, args, kwargs):
    """The arguments after ``inpt`` of a call to ``functional``, all by name."""
    arguments = inspect.signature(functional).bind_partial(inpt, *args, **kwargs).arguments
    arguments.pop(next(iter(arguments)))  # the input itself
    return arguments


def _tv_tensor_wrapper(functional, kernel):
    """Unwrap the TVTensor, run the kernel on the plain tensor, wrap the result like the input.

    A BoundingBoxes input also passes its ``format``, ``canvas_size`` and ``clamping_mode``,
    a KeyPoints input its ``canvas_size``, to the kernels that take them; a kernel returning
    ``(output, canvas_size)`` sets the new canvas size. Arguments are matched to the kernel by
    their names in ``functional``.
    """

    @functools.wraps(kernel)
    def wrapper(inpt, *args, **kwargs):
        kwargs = _named(functional, inpt, args, kwargs)
        if isinstance(inpt, BoundingBoxes):
            kwargs.update(
                format=inpt.format, canvas_size=inpt.canvas_size, clamping_mode=inpt.clamping_mode
            )
        elif isinstance(inpt, KeyPoints):
            kwargs.update(canvas_size=inpt.canvas_size)
        output = kernel(as_plain(inpt), **_accepted(kernel, kwargs))
        if isinstance(output, tuple):
            output, canvas_size = output
            return wrap(output, like=inpt, canvas_size=canvas_size)
        return wrap(output, like=inpt)

    return wrapper


def _register_kernel_internal(functional, *input_types, tv_tensor_wrapper=True):
    """Decorator: register the kernel for each of ``input_types``; TVTensor types get it
    through ``_tv_tensor_wrapper`` unless ``tv_tensor_wrapper`` is False."""

    def decorator(kernel):
        registry = _KERNEL_REGISTRY.setdefault(functional, {})
        for input_type in input_types:
            if input_type in registry:
                raise ValueError(
                    f"Functional {functional} already has a kernel registered for type "
                    f"{input_type}."
                )
            wrapped = kernel
            if tv_tensor_wrapper and issubclass(input_type, TVTensor):
                wrapped = _tv_tensor_wrapper(functional, kernel)
            registry[input_type] = wrapped
        return kernel

    return decorator


def _register_five_ten_crop_kernel_internal(functional, *input_types):
    """``_register_kernel_internal`` for kernels that return a tuple of crops: each crop of a
    TVTensor input is wrapped like it."""

    def decorator(kernel):
        @functools.wraps(kernel)
        def wrapper(inpt, *args, **kwargs):
            return tuple(wrap(output, like=inpt) for output in kernel(inpt, *args, **kwargs))

        for input_type in input_types:
            wrapped = wrapper if issubclass(input_type, TVTensor) else kernel
            _register_kernel_internal(functional, input_type, tv_tensor_wrapper=False)(wrapped)
        return kernel

    return decorator


def _kernel_alias(kernel, name, first="video"):
    """``kernel`` under torchvision's per-type kernel name ``name``, its first argument named
    ``first``: ``adjust_hue_video(video, hue_factor)`` is ``adjust_hue_image`` on a video."""
    parameters = list(inspect.signature(kernel).parameters.values())

    @functools.wraps(kernel)
    def alias(*args, **kwargs):
        if first in kwargs:
            args = (kwargs.pop(first), *args)
        return kernel(*args, **kwargs)

    alias.__signature__ = inspect.Signature([parameters[0].replace(name=first), *parameters[1:]])
    alias.__name__ = alias.__qualname__ = name
    return alias


def _register_image_kernels(functional, image_kernel, pil_kernel=None):
    """Register ``image_kernel`` for tensors and images, ``pil_kernel`` (if any) for PIL images
    and the ``*_video`` alias of ``image_kernel`` for videos; return that alias."""
    video_kernel = _kernel_alias(image_kernel, image_kernel.__name__.replace("_image", "_video"))
    _register_kernel_internal(functional, Tensor, Image)(image_kernel)
    _register_kernel_internal(functional, Video)(video_kernel)
    if pil_kernel is not None:
        _register_kernel_internal(functional, PILImage.Image)(pil_kernel)
    return video_kernel


_INTERPOLATION_STRING_TO_MODE = {mode.value: mode for mode in InterpolationMode}


def _check_interpolation(interpolation):
    """An ``InterpolationMode`` from a mode, its string value or a Pillow constant."""
    if isinstance(interpolation, str):
        if interpolation not in _INTERPOLATION_STRING_TO_MODE:
            raise ValueError(
                f"Invalid interpolation mode: '{interpolation}'. Supported string values are: "
                f"{list(_INTERPOLATION_STRING_TO_MODE)}."
            )
        return _INTERPOLATION_STRING_TO_MODE[interpolation]
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise ValueError(
            "Argument interpolation should be an `InterpolationMode` or a corresponding Pillow "
            f"integer constant, but got {interpolation}."
        )
    return interpolation


def register_kernel(functional, tv_tensor_cls):
    """Decorate a kernel to register it for a functional and a (custom) TVTensor type.

    The kernel receives the TVTensor itself, not a plain tensor, and must return one.
    """
    if not (isinstance(tv_tensor_cls, type) and issubclass(tv_tensor_cls, TVTensor)):
        raise ValueError(
            f"Kernels can only be registered for subclasses of TVTensor, but got {tv_tensor_cls}."
        )
    return _register_kernel_internal(functional, tv_tensor_cls, tv_tensor_wrapper=False)


def _get_kernel(functional, input_type, *, allow_passthrough=False):
    registry = _KERNEL_REGISTRY.get(functional)
    if not registry:
        raise ValueError(f"No kernel registered for functional {functional.__name__}.")
    for cls in input_type.__mro__:
        if cls in registry:
            return registry[cls]
        if cls is TVTensor:
            break  # a TVTensor without its own kernel never falls back to the tensor kernel
    if allow_passthrough:
        return lambda inpt, *args, **kwargs: inpt
    raise TypeError(
        f"Functional F.{functional.__name__} supports inputs of type {list(registry)}, but got "
        f"{input_type} instead."
    )


def _dispatch(functional, inpt, *args, **kwargs):
    """Call the kernel of ``functional`` registered for ``inpt``'s type, passing every
    argument by its name in ``functional``."""
    return _get_kernel(functional, type(inpt))(inpt, **_named(functional, inpt, args, kwargs))
