"""Image grids, saving, drawing (boxes, segmentation masks, keypoints) and optical-flow images
(``torchvision.utils``)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

import ember
import ember.nn.functional as F

from .transforms.v2.functional import to_dtype

__all__ = [
    "make_grid",
    "save_image",
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "draw_keypoints",
    "flow_to_image",
]


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


def _check_rgb_image(image):
    """torchvision's checks of the image the drawing functions draw on."""
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"The image must be a tensor, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if image.size()[0] != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")


@ember.no_grad()
def draw_segmentation_masks(image, masks, alpha=0.8, colors=None):
    """Draws segmentation masks on given RGB image.

    Each pixel under a mask takes the mask's colour (the last mask's where several cover it,
    black where they overlap), blended with the image as ``image * (1 - alpha) + colour *
    alpha``.

    Args:
        image (Tensor): Tensor of shape (3, H, W) and dtype uint8 or float (in [0, 1]).
        masks (Tensor): Tensor of shape (num_masks, H, W) or (H, W) and dtype bool.
        alpha (float): Float number between 0 and 1 denoting the transparency of the masks.
            0 means full transparency, 1 means no transparency.
        colors (color or list of colors, optional): List containing the colors of the masks
            or single color for all masks. The color can be represented as PIL strings e.g.
            "red" or "#FF00FF", or as RGB tuples e.g. ``(240, 10, 157)``. By default, a fixed
            palette.

    Returns:
        img (Tensor[C, H, W]): Image Tensor, with segmentation masks drawn on top.
    """
    _check_rgb_image(image)
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != ember.bool:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if masks.shape[-2:] != image.shape[-2:]:
        raise ValueError("The image and the masks must have the same height and width")

    num_masks = masks.size()[0]
    if num_masks == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=3)
        return image
    overlapping_masks = masks.sum(dim=0) > 1

    original_dtype = image.dtype
    colors = ember.tensor(
        _parse_colors(colors, num_masks, dtype=original_dtype),
        dtype=original_dtype,
        device=image.device,
    )
    # later masks paint over earlier ones: each pixel takes the colour of the last that covers it
    last = num_masks - 1 - masks.flip(0).int().argmax(0)
    painted = colors[last].permute(2, 0, 1)
    img_to_draw = ember.where(masks.any(0), painted, image).masked_fill(overlapping_masks, 0)
    out = image * (1 - alpha) + img_to_draw * alpha
    return out.to(original_dtype)


@ember.no_grad()
def draw_keypoints(
    image,
    keypoints,
    connectivity=None,
    colors=None,
    radius=2,
    width=3,
    visibility=None,
):
    """Draws Keypoints on given RGB image.

    The image values should be uint8 in [0, 255] or float in [0, 1]. Keypoints can be drawn
    for multiple instances at a time, and only where ``visibility`` says they are visible.

    Args:
        image (Tensor): Tensor of shape (3, H, W) and dtype uint8 or float.
        keypoints (Tensor): Tensor of shape (num_instances, K, 2) the K keypoint locations for
            each of the N instances, in the format [x, y] (truncated to integers).
        connectivity (List[Tuple[int, int]]]): A List of tuple where each tuple contains a pair
            of keypoints to be connected. If at least one of the two connected keypoints has a
            ``visibility`` of False, this specific connection is not drawn.
        colors (str, Tuple): The color can be represented as PIL strings e.g. "red" or
            "#FF00FF", or as RGB tuples e.g. ``(240, 10, 157)``.
        radius (int): Integer denoting radius of keypoint.
        width (int): Integer denoting width of line connecting keypoints.
        visibility (Tensor): Tensor of shape (num_instances, K) specifying the visibility of
            the K keypoints for each of the N instances. True means that the respective
            keypoint is visible and should be drawn. The input tensor will be cast to bool.
            Default ``None`` means that all the keypoints are visible.

    Returns:
        img (Tensor[C, H, W]): Image Tensor with keypoints drawn.
    """
    _check_rgb_image(image)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        visibility = ember.ones(keypoints.shape[:-1], dtype=ember.bool)
    if visibility.ndim == 3:
        # (num_instances, K, 1), as from ``pred.split([2, 1], dim=-1)``
        visibility = visibility.squeeze(-1)
    if visibility.ndim != 2:
        raise ValueError(
            f"visibility must be of shape (num_instances, K). Got ndim={visibility.ndim}"
        )
    if visibility.shape != keypoints.shape[:-1]:
        raise ValueError(
            "keypoints and visibility must have the same dimensionality for num_instances and "
            f"K. Got {visibility.shape=} and {keypoints.shape=}"
        )

    original_dtype = image.dtype
    if original_dtype.is_floating_point:
        image = to_dtype(image, dtype=ember.uint8, scale=True)
    img_to_draw = Image.fromarray(np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy()))
    draw = ImageDraw.Draw(img_to_draw)
    img_kpts = keypoints.to(ember.int64).tolist()
    img_vis = visibility.cpu().bool().tolist()
    for kpt_inst, vis_inst in zip(img_kpts, img_vis):
        for (x, y), kp_vis in zip(kpt_inst, vis_inst):
            if kp_vis:
                box = [x - radius, y - radius, x + radius, y + radius]
                draw.ellipse(box, fill=colors, outline=None, width=0)
        for start, end in connectivity or ():
            if vis_inst[start] and vis_inst[end]:
                draw.line((tuple(kpt_inst[start]), tuple(kpt_inst[end])), width=width)

    out = ember.from_numpy(np.array(img_to_draw)).permute(2, 0, 1)
    if original_dtype.is_floating_point:
        out = to_dtype(out, dtype=original_dtype, scale=True)
    return out.to(image.device)


# Flow visualization code adapted from https://github.com/tomrunia/OpticalFlow_Visualization
@ember.no_grad()
def flow_to_image(flow):
    """Converts a flow to an RGB image.

    The flow is divided by its largest norm; each pixel's direction picks a hue on the colour
    wheel of Baker et al. (:func:`_make_colorwheel`) and its norm the saturation.

    Args:
        flow (Tensor): Flow of shape (N, 2, H, W) or (2, H, W) and dtype float32.

    Returns:
        img (Tensor): Image Tensor of dtype uint8 where each color corresponds to a given flow
        direction. Shape is (N, 3, H, W) or (3, H, W) depending on the input.
    """
    if flow.dtype != ember.float:
        raise ValueError(f"Flow should be of dtype {ember.float}, got {flow.dtype}.")
    orig_shape = flow.shape
    if flow.ndim == 3:
        flow = flow[None]  # add a batch dimension
    if flow.ndim != 4 or flow.shape[1] != 2:
        raise ValueError(
            f"Input flow should have shape (2, H, W) or (N, 2, H, W), got {orig_shape}."
        )
    max_norm = flow.pow(2).sum(dim=1).sqrt().max()
    epsilon = ember.finfo(flow.dtype).eps
    img = _normalized_flow_to_image(flow / (max_norm + epsilon))
    return img[0] if len(orig_shape) == 3 else img


@ember.no_grad()
def _normalized_flow_to_image(normalized_flow):
    """A batch of flows of norm at most 1, ``(N, 2, H, W)``, as uint8 RGB images
    ``(N, 3, H, W)``: the colour wheel interpolated at the flow's angle, faded towards white
    as its norm falls."""
    colorwheel = _make_colorwheel().to(normalized_flow.device)  # (55, 3)
    num_cols = colorwheel.shape[0]
    norm = normalized_flow.pow(2).sum(dim=1).sqrt().unsqueeze(-1)
    a = ember.atan2(-normalized_flow[:, 1, :, :], -normalized_flow[:, 0, :, :]) / math.pi
    fk = (a + 1) / 2 * (num_cols - 1)
    k0 = ember.floor(fk).to(ember.int64)
    k1 = ember.where(k0 + 1 == num_cols, 0, k0 + 1)
    f = (fk - k0).unsqueeze(-1)
    col0 = colorwheel[k0] / 255.0  # (N, H, W, 3)
    col1 = colorwheel[k1] / 255.0
    col = (1 - f) * col0 + f * col1
    col = 1 - norm * (1 - col)
    return ember.floor(255 * col).to(ember.uint8).permute(0, 3, 1, 2)


def _make_colorwheel():
    """Generates a color wheel for optical flow visualization as presented in: Baker et al. "A
    Database and Evaluation Methodology for Optical Flow" (ICCV, 2007), URL:
    http://vision.middlebury.edu/flow/flowEval-iccv07.pdf.

    Returns:
        colorwheel (Tensor[55, 3]): the hues red, yellow, green, cyan, blue, magenta and back,
        in 15, 6, 4, 11, 13 and 6 steps, as 0...255 floats.
    """
    # (steps, channel that ramps, whether it rises, the channel held at 255) per segment
    segments = [(15, 1, True, 0), (6, 0, False, 1), (4, 2, True, 1)]
    segments += [(11, 1, False, 2), (13, 0, True, 2), (6, 2, False, 0)]
    parts = []
    for steps, ramp, rising, full in segments:
        part = ember.zeros((steps, 3))
        step = ember.floor(255 * ember.arange(0, steps) / steps)
        part[:, ramp] = step if rising else 255 - step
        part[:, full] = 255
        parts.append(part)
    return ember.cat(parts)


def _parse_colors(colors, num_objects, dtype=ember.uint8):
    """One RGB tuple per object from ``None`` (a palette), one colour, or a list of colours;
    in [0, 1] (divided by 255) for a floating-point ``dtype``."""
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
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors]
    if dtype.is_floating_point:  # [0, 255] -> [0, 1]
        colors = [tuple(v / 255 for v in color) for color in colors]
    return colors


def _generate_color_palette(num_objects):
    """torchvision's default colours: object ``i`` gets ``(i * (2**25-1, 2**15-1, 2**21-1)) % 255``."""
    palette = (2**25 - 1, 2**15 - 1, 2**21 - 1)
    return [tuple(i * p % 255 for p in palette) for i in range(num_objects)]
