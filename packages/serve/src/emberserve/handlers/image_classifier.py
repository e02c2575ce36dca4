"""The ``image_classifier`` handler: encoded images in, class probabilities out.

Each image (JPEG, PNG, or anything else Pillow reads) is converted to RGB (or, with
``channels: 1``, to grayscale), resized so its shorter side is ``resize`` pixels,
center-cropped to ``crop`` x ``crop``, zero-padded by ``pad`` pixels on each side, scaled to
[0, 1] and normalised with ``mean`` and ``std`` (all from the manifest's handler config;
ImageNet's by default), exactly like torchvision's ``Resize, CenterCrop, Pad, ToTensor,
Normalize``. The model gets a float32 ``(N, channels, crop + 2 pad, crop + 2 pad)`` batch and
returns logits; the handler applies softmax. MNIST models trained with ``Pad(2)`` use
``{"channels": 1, "resize": 28, "crop": 28, "pad": 2, "mean": [0.1307], "std": [0.3081]}``.

- TorchServe API: the body (or form field ``data``; base64 text is accepted too) is one image;
  the response is the ``topk`` most probable labels, ``{"tabby": 0.41, "tiger_cat": 0.22, ...}``,
  named by the archive's ``index_to_name.json``.
- Open Inference Protocol: input ``image``, BYTES of shape ``[n]`` (n encoded images); output
  ``probabilities``, FP32 of shape ``[n, classes]``.

The transforms come from ``embervision`` when it is installed, else from Pillow and numpy
directly. Pillow is needed either way: ``pip install "emberserve[image]"``.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np

import ember
import ember.nn.functional as F

from ..errors import InvalidInput
from ..schema import TensorSpec
from .base import BaseHandler
from .registry import register_handler

try:
    from PIL import Image
except ImportError:  # the [image] extra is not installed
    Image = None
try:
    from embervision import transforms as vision_transforms
except ImportError:
    vision_transforms = None

__all__ = ["ImageClassifier", "DEFAULT_CONFIG"]

DEFAULT_CONFIG = {
    "resize": 256,
    "crop": 224,
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "topk": 5,
    "channels": 3,
    "pad": 0,
}
_VISION_NAMES = ("Compose", "Resize", "CenterCrop", "Pad", "ToTensor", "Normalize")
_MODES = {1: "L", 3: "RGB"}


def _require_pillow():
    if Image is None:
        raise RuntimeError(
            'the image_classifier handler needs Pillow: pip install "emberserve[image]"'
        )


def _settings(config):
    settings = {**DEFAULT_CONFIG, **(config or {})}
    unknown = settings.keys() - DEFAULT_CONFIG.keys()
    if unknown:
        raise ValueError(
            f"unknown image_classifier settings {sorted(unknown)}; known: {sorted(DEFAULT_CONFIG)}"
        )
    if not 0 < settings["crop"] <= settings["resize"]:
        raise ValueError(
            f"need 0 < crop <= resize, got crop={settings['crop']}, resize={settings['resize']}"
        )
    channels = settings["channels"]
    if channels not in _MODES:
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    if not len(settings["mean"]) == len(settings["std"]) == channels:
        raise ValueError(f"mean and std need {channels} values each (one per channel)")
    if settings["pad"] < 0:
        raise ValueError(f"pad must be >= 0, got {settings['pad']}")
    return settings


def _resize_crop_normalize(image, resize, crop, mean, std, pad=0):
    """torchvision's Resize(resize), CenterCrop(crop), Pad(pad), ToTensor, Normalize with
    Pillow + numpy."""
    w, h = image.size
    short, long = min(w, h), max(w, h)
    new_long = int(resize * long / short)
    image = image.resize((resize, new_long) if w <= h else (new_long, resize), Image.BILINEAR)
    w, h = image.size
    top, left = round((h - crop) / 2), round((w - crop) / 2)
    image = image.crop((left, top, left + crop, top + crop))
    array = np.asarray(image, dtype=np.float32) / 255
    if array.ndim == 2:  # grayscale
        array = array[:, :, None]
    if pad:
        array = np.pad(array, ((pad, pad), (pad, pad), (0, 0)))
    array = (array - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return array.transpose(2, 0, 1)


def _pipeline(settings):
    """A function from a decoded PIL image to a float32 (channels, size, size) array."""
    args = (
        settings["resize"],
        settings["crop"],
        settings["mean"],
        settings["std"],
        settings["pad"],
    )
    if vision_transforms is not None and all(hasattr(vision_transforms, n) for n in _VISION_NAMES):
        T = vision_transforms
        steps = [T.Resize(args[0]), T.CenterCrop(args[1])]
        if args[4]:
            steps.append(T.Pad(args[4]))
        compose = T.Compose([*steps, T.ToTensor(), T.Normalize(args[2], args[3])])
        return lambda image: compose(image).numpy(force=True)
    return lambda image: _resize_crop_normalize(image, *args)


def decode_image(raw, max_pixels, mode="RGB"):
    """Decode encoded image bytes to a PIL image in ``mode`` (``"RGB"`` or ``"L"``), refusing
    images over ``max_pixels``.

    Raises:
        InvalidInput: the bytes are not a complete image Pillow can read, or it is too large.
    """
    try:
        image = Image.open(io.BytesIO(raw))
        w, h = image.size
        if w * h > max_pixels:
            raise InvalidInput(f"the image is {w}x{h} pixels, over the limit of {max_pixels}")
        image.load()  # decode now: a truncated file fails here, not later
        return image.convert(mode)
    except InvalidInput:
        raise
    except Image.UnidentifiedImageError:
        raise InvalidInput(
            f"the data ({len(raw)} bytes) is not an image in a format Pillow reads (JPEG, PNG, ...)"
        ) from None
    except Exception as exc:  # Pillow raises many types for bad data; all mean the same here
        raise InvalidInput(f"cannot decode the image ({len(raw)} bytes): {exc}") from None


@register_handler("image_classifier")
class ImageClassifier(BaseHandler):
    """Top-k image classification (TorchServe's ``image_classifier``)."""

    @classmethod
    def signature(cls, model, inputs, outputs, config):
        settings = _settings(config)
        inputs = inputs or [TensorSpec("image", "BYTES", (-1,))]
        if outputs is None:
            with ember.inference_mode():
                size = settings["crop"] + 2 * settings["pad"]
                logits = model(ember.zeros(1, settings["channels"], size, size))
            outputs = [TensorSpec("probabilities", "FP32", (-1, logits.shape[1]))]
        return list(inputs), list(outputs)

    def initialize(self, context):
        _require_pillow()
        super().initialize(context)
        settings = _settings(context.handler_config)
        self.topk = settings["topk"]
        self.transform = _pipeline(settings)
        self.mode = _MODES[settings["channels"]]
        self.max_pixels = context.system_properties["limit_max_image_pixels"]
        self.labels = context.labels or {}

    def _images(self, item):
        """The encoded images of one request."""
        if "inputs" in item:
            return list(next(iter(item["inputs"].values())).reshape(-1))
        raw = self.payload(item)
        if isinstance(raw, str):  # TorchServe accepts base64 text
            try:
                raw = base64.b64decode(raw, validate=True)
            except binascii.Error:
                raise InvalidInput("a text image payload must be base64") from None
        return [raw]

    def preprocess(self, batch):
        requests = [self._images(item) for item in batch]
        self._batch = batch
        self._counts = [len(images) for images in requests]
        arrays = [
            self.transform(decode_image(raw, self.max_pixels, self.mode))
            for r in requests
            for raw in r
        ]
        if not arrays:
            raise InvalidInput("no images in the request")
        return ember.from_numpy(np.stack(arrays)).to(self.device)

    def inference(self, data):
        return F.softmax(self.model(data), dim=1)

    def postprocess(self, outputs):
        probabilities = outputs.numpy(force=True)
        parts = np.split(probabilities, np.cumsum(self._counts)[:-1])
        name = self.context.outputs[0].name
        k = min(self.topk, probabilities.shape[1])
        top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
        responses, row = [], 0
        for item, part in zip(self._batch, parts):
            if "inputs" in item:
                responses.append({name: part})
            else:
                responses.append(
                    {
                        self.labels.get(int(i), str(i)): float(probabilities[row, i])
                        for i in top[row]
                    }
                )
            row += len(part)
        return responses
