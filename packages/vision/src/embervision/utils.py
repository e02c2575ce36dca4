"""Image grids, saving and drawing (``torchvision.utils``)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

import ember
import ember.nn.functional as F

__all__ = ["make_grid", "save_image", "draw_bounding_boxes"]


@ember.no_grad()
def make_grid(
    tensor,
    nrow=8,
    padding=2,
    normalize=False,
    value_range=None,
    scale_each=False,
    pad_value=0.0,
):
    """Tile a batch of images into one image.

    Args:
        tensor (Tensor or list[Tensor]): a ``(B, C, H, W)`` batch, a ``(C, H, W)`` or
            ``(H, W)`` image, or a list of same-sized images. Single-channel images are
            repeated to 3 channels.
        nrow (int): images per row; the grid has ``ceil(B / nrow)`` rows. Default: 8.
        padding (int): pixels between the images and around the grid. Default: 2.
        normalize (bool): shift the values to [0, 1] using ``value_range``, else the
            tensor's min and max. Default: False.
        value_range (tuple, optional): ``(min, max)`` for ``normalize``; values outside are
            clamped.
        scale_each (bool): with ``normalize``, use each image's own min and max.
        pad_value (float): value of the padding pixels. Default: 0.

    Returns:
        Tensor: ``(C, rows·(H + padding) + padding, cols·(W + padding) + padding)``, or the
        (3-channel) image itself when the batch holds one image.
    """
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, ember.Tensor):
                raise TypeError(
                    f"tensor or list of tensors expected, got a list containing {type(t)}"
                )
        tensor = ember.stack(tensor, dim=0)
    elif not isinstance(tensor, ember.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")

    if tensor.dim() == 2:  # a single H×W image
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # a single C×H×W image
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:  # single-channel images
        tensor = ember.cat((tensor, tensor, tensor), 1)

    if normalize is True:
        tensor = _normalize(tensor, value_range, scale_each)

    if tensor.size(0) == 1:
        return tensor.squeeze(0)

    nmaps, channels, height, width = tensor.shape
    xmaps = min(nrow, nmaps)
    ymaps = math.ceil(nmaps / xmaps)
    # Fill the last row with blank images, put `padding` pixels above and left of each image,
    # lay the cells out row by row, then close the grid with padding below and right.
    blanks = tensor.new_full((xmaps * ymaps - nmaps, channels, height, width), pad_value)
    cells = F.pad(ember.cat((tensor, blanks), 0), (padding, 0, padding, 0), value=pad_value)
    cells = cells.reshape(ymaps, xmaps, channels, height + padding, width + padding)
    grid = cells.permute(2, 0, 3, 1, 4).reshape(
        channels, ymaps * (height + padding), xmaps * (width + padding)
    )
    return F.pad(grid, (0, padding, 0, padding), value=pad_value)


def _normalize(tensor, value_range, scale_each):
    """Clamp to ``value_range`` (else the min and max of the batch, or of each image with
    ``scale_each``) and map that range to [0, 1]."""
    if value_range is not None:
        if not isinstance(value_range, tuple):
            raise TypeError(
                "value_range has to be a tuple (min, max) if specified. min and max are numbers"
            )
        low, high = value_range
        tensor = tensor.clamp(min=low, max=high)
        return (tensor - low) / max(high - low, 1e-5)
    if scale_each is True:
        # Each image's own extremes: clamping to them changes nothing.
        low = tensor.amin(dim=(1, 2, 3), keepdim=True)
        high = tensor.amax(dim=(1, 2, 3), keepdim=True)
        return (tensor - low) / (high - low).clamp(min=1e-5)
    low, high = float(tensor.min()), float(tensor.max())
    return (tensor - low) / max(high - low, 1e-5)


@ember.no_grad()
def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor as an image file, through :func:`make_grid` for batches.

    Values in [0, 1] map to 0…255, rounded to the nearest integer and clamped.

    Args:
        tensor (Tensor or list[Tensor]): the image(s), as for :func:`make_grid`.
        fp (str, os.PathLike or file object): where to write.
        format (str, optional): the Pillow format name; if omitted it comes from the file
            name's extension (required for file objects).
        **kwargs: passed to :func:`make_grid`.
    """
    grid = make_grid(tensor, **kwargs)
    # Adding 0.5 before the truncation to uint8 rounds to the nearest integer.
    ndarr = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", ember.uint8).numpy()
    Image.fromarray(ndarr).save(fp, format=format)


@ember.no_grad()
def draw_bounding_boxes(
    image,
    boxes,
    labels=None,
    colors=None,
    fill=False,
    width=1,
    font=None,
    font_size=None,
    label_colors=None,
    fill_labels=False,
):
    """Draw boxes (and their labels) on an image.

    Args:
        image (Tensor): ``(C, H, W)`` with C = 1 or 3, uint8 in [0, 255] or float in [0, 1].
            A grayscale image is drawn on as RGB.
        boxes (Tensor): ``(N, 4)`` boxes as absolute ``(xmin, ymin, xmax, ymax)``, with
            ``0 <= xmin < xmax < W`` and ``0 <= ymin < ymax < H``; coordinates are truncated
            to integers.
        labels (list[str], optional): one label per box, drawn at its top-left corner.
        colors (color or list of colors, optional): one colour for all boxes or one per box,
            as Pillow colour names (``"red"``, ``"#FF00FF"``) or RGB tuples. Default: a
            fixed palette.
        fill (bool): also fill the boxes with their colour at alpha 100/255.
        width (int): outline width in pixels.
        font (str, optional): a TrueType font file; default: Pillow's default font.
        font_size (int, optional): font size in points (with ``font`` only). Default: 10.
        label_colors (color or list of colors, optional): label text colours. Default: the
            box colours, or black with ``fill_labels``.
        fill_labels (bool): draw each label on a background of its box's colour.

    Returns:
        Tensor: the ``(3, H, W)`` image with the boxes, in the input's dtype.
    """
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"Tensor expected, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if image.size(0) not in {1, 3}:
        raise ValueError("Only grayscale and RGB images are supported")
    if boxes.dim() != 2 or boxes.size(1) != 4:
        raise ValueError(f"boxes must have shape (N, 4), got {tuple(boxes.shape)}")
    if (boxes[:, 0] > boxes[:, 2]).any() or (boxes[:, 1] > boxes[:, 3]).any():
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format")

    num_boxes = boxes.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=3)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(
            f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. "
            "Please specify labels for each box."
        )

    colors = _parse_colors(colors, num_boxes)
    if label_colors or fill_labels:
        label_colors = _parse_colors(label_colors or "black", num_boxes)
    else:
        label_colors = colors

    if font is None:
        if font_size is not None:
            warnings.warn(
                "Argument 'font_size' will be ignored since 'font' is not set.", stacklevel=3
            )
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)

    if image.size(0) == 1:
        image = ember.tile(image, (3, 1, 1))
    original_dtype = image.dtype
    if original_dtype.is_floating_point:
        # torchvision's float→uint8 scaling: × (256 - 1e-3), then truncate.
        image = image.mul(255 + 1.0 - 1e-3).to(ember.uint8)

    img_to_draw = Image.fromarray(np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy()))
    draw = ImageDraw.Draw(img_to_draw, "RGBA" if fill else None)
    for bbox, color, label, label_color in zip(
        boxes.to(ember.int64).tolist(), colors, labels, label_colors
    ):
        fill_color = color + (100,) if fill else None
        draw.rectangle(bbox, width=width, outline=color, fill=fill_color)
        if label is not None:
            box_margin = 1
            margin = width + box_margin
            position = (bbox[0] + margin, bbox[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(position, label, font=txt_font)
                draw.rectangle(
                    (left - box_margin, top - box_margin, right + box_margin, bottom + box_margin),
                    fill=color,
                )
            draw.text(position, label, fill=label_color, font=txt_font)

    out = ember.from_numpy(np.array(img_to_draw)).permute(2, 0, 1).contiguous()
    if original_dtype.is_floating_point:
        out = out.to(original_dtype).mul(1.0 / 255)
    return out.to(image.device)


def _parse_colors(colors, num_objects):
    """One RGB tuple per object from ``None`` (a palette), one colour, or a list of colours."""
    if colors is None:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(
                "Number of colors must be equal or larger than the number of objects, "
                f"but got {len(colors)} < {num_objects}."
            )
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(
            f"`colors` must be a tuple or a string, or a list thereof, but got {colors}."
        )
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:  # one colour for every object
        colors = [colors] * num_objects
    return [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors]


def _generate_color_palette(num_objects):
    """torchvision's default colours: object ``i`` gets ``(i * (2**25-1, 2**15-1, 2**21-1)) % 255``."""
    palette = (2**25 - 1, 2**15 - 1, 2**21 - 1)
    return [tuple(i * p % 255 for p in palette) for i in range(num_objects)]
