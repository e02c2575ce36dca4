"""The second stage of the R-CNN models (torchvision's ``models/detection/roi_heads.py``): box
classification and regression on pooled proposals, and the mask and keypoint branches, with
their losses and post-processing.

torchvision pastes each mask (``paste_masks_in_image``) and decodes each keypoint heatmap
(``heatmaps_to_keypoints``) in a Python loop over the boxes, resizing one box at a time with
``F.interpolate``. Here the resizing is written as separable resampling matrices, one per box
and axis, with torch's source-index and weight formulas, so that all boxes are resized by two
batched matrix products.
"""

from __future__ import annotations

import ember
from ember import nn
from ember.nn import functional as F

from ...ops import boxes as box_ops
from ...ops import roi_align
from . import _utils as det_utils

__all__ = [
    "RoIHeads",
    "fastrcnn_loss",
    "maskrcnn_loss",
    "maskrcnn_inference",
    "keypointrcnn_loss",
    "keypointrcnn_inference",
    "keypoints_to_heatmap",
    "heatmaps_to_keypoints",
    "project_masks_on_boxes",
    "expand_boxes",
    "expand_masks",
    "paste_masks_in_image",
]


def fastrcnn_loss(class_logits, box_regression, labels, regression_targets):
    """Computes the loss for Faster R-CNN.

    Args:
        class_logits (Tensor[N, num_classes])
        box_regression (Tensor[N, num_classes * 4])
        labels (list[Tensor]): the class of each sampled proposal, per image.
        regression_targets (list[Tensor]): their encoded ground-truth boxes, per image.

    Returns:
        classification_loss (Tensor): cross-entropy of the classes.
        box_loss (Tensor): smooth L1 (beta 1/9) of the positives' deltas for their class,
        summed and divided by the number of proposals.
    """
    labels = ember.cat(labels, dim=0)
    regression_targets = ember.cat(regression_targets, dim=0)

    classification_loss = F.cross_entropy(class_logits, labels)

    # get indices that correspond to the regression targets for the corresponding ground
    # truth labels, to be used with advanced indexing
    sampled_pos_inds_subset = ember.where(labels > 0)[0]
    labels_pos = labels[sampled_pos_inds_subset]
    N = class_logits.shape[0]
    box_regression = box_regression.reshape(N, box_regression.size(-1) // 4, 4)

    box_loss = F.smooth_l1_loss(
        box_regression[sampled_pos_inds_subset, labels_pos],
        regression_targets[sampled_pos_inds_subset],
        beta=1 / 9,
        reduction="sum",
    )
    box_loss = box_loss / labels.numel()

    return classification_loss, box_loss


def maskrcnn_inference(x, labels):
    """From the results of the CNN, post process the masks by taking the mask corresponding to
    the class with max probability (which are of fixed size and directly output by the CNN).

    Args:
        x (Tensor[N, num_classes, M, M]): the mask logits
        labels (list[Tensor]): the predicted class of each box, one tensor per image

    Returns:
        list[Tensor[N_i, 1, M, M]]: the sigmoid probabilities of each box's class, per image
    """
    mask_prob = x.sigmoid()

    # select masks corresponding to the predicted classes
    num_masks = x.shape[0]
    boxes_per_image = [label.shape[0] for label in labels]
    labels = ember.cat(labels)
    index = ember.arange(num_masks, device=labels.device)
    mask_prob = mask_prob[index, labels][:, None]
    return mask_prob.split(boxes_per_image, dim=0)


def project_masks_on_boxes(gt_masks, boxes, matched_idxs, M):
    """Given segmentation masks and the bounding boxes corresponding to the location of the
    masks in the image, this function crops and resizes the masks in the position defined by
    the boxes (``roi_align`` to ``M × M``). This prepares the masks for them to be fed to the
    loss computation as the targets."""
    matched_idxs = matched_idxs.to(boxes.dtype)
    rois = ember.cat([matched_idxs[:, None], boxes], dim=1)
    gt_masks = gt_masks[:, None].to(rois.dtype)
    return roi_align(gt_masks, rois, (M, M), 1.0)[:, 0]


def maskrcnn_loss(mask_logits, proposals, gt_masks, gt_labels, mask_matched_idxs):
    """
    Args:
        mask_logits (Tensor[N, num_classes, M, M])
        proposals (list[Tensor]): the positive proposals of each image
        gt_masks (list[Tensor]): the ground-truth masks of each image
        gt_labels (list[Tensor]): the ground-truth classes of each image
        mask_matched_idxs (list[Tensor]): the ground truth each proposal is matched to

    Returns:
        mask_loss (Tensor): scalar tensor containing the loss, the binary cross-entropy of each
        proposal's class logits against its matched mask projected on the proposal
    """
    discretization_size = mask_logits.shape[-1]
    labels = [gt_label[idxs] for gt_label, idxs in zip(gt_labels, mask_matched_idxs)]
    mask_targets = [
        project_masks_on_boxes(m, p, i, discretization_size)
        for m, p, i in zip(gt_masks, proposals, mask_matched_idxs)
    ]

    labels = ember.cat(labels, dim=0)
    mask_targets = ember.cat(mask_targets, dim=0)

    # the mean (in binary_cross_entropy_with_logits) of an empty tensor is nan: no positives
    # give a zero loss that still reaches the logits
    if mask_targets.numel() == 0:
        return mask_logits.sum() * 0

    return F.binary_cross_entropy_with_logits(
        mask_logits[ember.arange(labels.shape[0], device=labels.device), labels], mask_targets
    )


def keypoints_to_heatmap(keypoints, rois, heatmap_size):
    """The heatmap targets of ``keypoints`` ``[N, K, 3]`` in the ``N`` rois: each keypoint's
    cell ``y * heatmap_size + x`` of a ``heatmap_size²`` grid over its roi, and whether it is
    visible and inside the roi (int64, 1 or 0; invalid keypoints get cell 0)."""
    offset_x = rois[:, 0]
    offset_y = rois[:, 1]
    scale_x = heatmap_size / (rois[:, 2] - rois[:, 0])
    scale_y = heatmap_size / (rois[:, 3] - rois[:, 1])

    offset_x = offset_x[:, None]
    offset_y = offset_y[:, None]
    scale_x = scale_x[:, None]
    scale_y = scale_y[:, None]

    x = keypoints[..., 0]
    y = keypoints[..., 1]

    x_boundary_inds = x == rois[:, 2][:, None]
    y_boundary_inds = y == rois[:, 3][:, None]

    x = (x - offset_x) * scale_x
    x = x.floor().long()
    y = (y - offset_y) * scale_y
    y = y.floor().long()

    x[x_boundary_inds] = heatmap_size - 1
    y[y_boundary_inds] = heatmap_size - 1

    valid_loc = (x >= 0) & (y >= 0) & (x < heatmap_size) & (y < heatmap_size)
    vis = keypoints[..., 2] > 0
    valid = (valid_loc & vis).long()

    lin_ind = y * heatmap_size + x
    heatmaps = lin_ind * valid

    return heatmaps, valid


def _resampling_matrix(positions, out_size, in_size, mode, dtype):
    """``F.interpolate``'s resampling of one axis (``align_corners=False``), as matrices.

    Row ``[r, p]`` holds the weights over the ``in_size`` input positions of output position
    ``positions[r, p]`` when an axis of ``in_size`` is resized to ``out_size[r]`` (a float
    tensor): torch's source index ``in / out * (p + 0.5) - 0.5`` and its linear (two taps,
    source clamped at 0) or cubic (four taps, A = -0.75, border pixels repeated) weights.

    Args:
        positions (Tensor[R, P]): output positions (integer valued, any integer dtype).
        out_size (Tensor[R]): the output size of each row of matrices.
        in_size (int): the input size.
        mode (str): ``"bilinear"`` or ``"bicubic"``.
        dtype: the computation and output dtype (torch's kernels compute in the input's).

    Returns:
        Tensor[R, P, in_size]
    """
    scale = float(in_size) / out_size.to(dtype)
    src = scale[:, None] * (positions.to(dtype) + 0.5) - 0.5
    if mode == "bilinear":
        src = src.clamp(min=0)  # (cubic keeps a negative source index)
    i0 = src.floor().clamp(max=in_size - 1)
    t = (src - i0).clamp(0, 1)
    i0 = i0.long()
    if mode == "bilinear":
        idx = [i0, i0 + (i0 < in_size - 1).long()]
        weights = [1 - t, t]
    else:  # taps past the border read the edge pixel
        idx = [(i0 + k).clamp(0, in_size - 1) for k in (-1, 0, 1, 2)]
        weights = _cubic_coefficients(t)
    grid = ember.arange(in_size, device=positions.device)
    matrix = 0
    for i, w in zip(idx, weights):  # the 2 or 4 taps
        matrix = matrix + (grid == i[..., None]).to(dtype) * w[..., None]
    return matrix


def _cubic_coefficients(t):
    """The weights of the taps at -1, 0, 1, 2 for a point at fraction ``t`` past tap 0: Keys'
    cubic convolution with A = -0.75, evaluated as torch's ``get_cubic_upsample_coefficients``."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    s = 1.0 - t
    return [far(t + 1.0), near(t), near(s), far(s + 1.0)]


# heatmaps_to_keypoints resizes its rois in groups of at most this many output elements
_HEATMAP_CHUNK = 2**24


def heatmaps_to_keypoints(maps, rois):
    """Extract predicted keypoint locations from heatmaps.

    Each roi's heatmaps are resized (bicubic) to the roi's size rounded up, and each keypoint
    is placed at the centre of its map's largest pixel (the first, in row-major order, of equal
    maxima), mapped back into the roi. The rois are resized together, in groups that bound the
    memory of the padded maps.

    Args:
        maps (Tensor[K, N, H, W]): The predicted heatmaps, where K is the number of RoIs, N is
            the number of keypoints, and H, W are the heatmap spatial dimensions.
        rois (Tensor[K, 4]): The RoI boxes in ``(x1, y1, x2, y2)`` format.

    Returns:
        tuple:
            - **xy_preds** (Tensor[K, N, 3]): The predicted keypoint locations, where the last
              dimension contains ``(x, y, v)`` with x, y being coordinates and v being
              visibility (always 1).
            - **scores** (Tensor[K, N]): The heatmap scores at the predicted keypoint
              locations.
    """
    # This function converts a discrete image coordinate in a HEATMAP_SIZE x HEATMAP_SIZE image
    # to a continuous keypoint coordinate. We maintain consistency with keypoints_to_heatmap
    # by using the conversion from Heckbert 1990: c = d + 0.5, where d is a discrete coordinate
    # and c is a continuous coordinate.
    offset_x = rois[:, 0]
    offset_y = rois[:, 1]

    widths = (rois[:, 2] - rois[:, 0]).clamp(min=1)
    heights = (rois[:, 3] - rois[:, 1]).clamp(min=1)
    widths_ceil = widths.ceil()
    heights_ceil = heights.ceil()

    num_rois, num_keypoints = maps.shape[:2]
    if num_rois == 0:
        return (
            ember.zeros((0, num_keypoints, 3), dtype=ember.float32, device=maps.device),
            ember.zeros((0, num_keypoints), dtype=ember.float32, device=maps.device),
        )
    height_max = int(heights_ceil.max().item())
    width_max = int(widths_ceil.max().item())
    chunk = max(1, _HEATMAP_CHUNK // (num_keypoints * height_max * width_max))
    rows_at = ember.arange(height_max, device=maps.device)
    cols_at = ember.arange(width_max, device=maps.device)

    x_int, y_int, end_scores = [], [], []
    for start in range(0, num_rois, chunk):  # groups of rois, not single rois
        part = slice(start, start + chunk)
        h, w = heights_ceil[part], widths_ceil[part]
        n = h.shape[0]
        rows = _resampling_matrix(
            rows_at.expand(n, height_max), h, maps.shape[2], "bicubic", maps.dtype
        )
        cols = _resampling_matrix(
            cols_at.expand(n, width_max), w, maps.shape[3], "bicubic", maps.dtype
        )
        # [n, K, height_max, width_max]; torch sums the width taps first, then the height's
        roi_maps = rows[:, None] @ (maps[part] @ cols[:, None].transpose(-1, -2))
        inside = (rows_at < h[:, None])[:, :, None] & (cols_at < w[:, None])[:, None, :]
        roi_maps = roi_maps.masked_fill(~inside[:, None], float("-inf")).flatten(2)
        pos = roi_maps.argmax(dim=2)
        end_scores.append(roi_maps.gather(2, pos[..., None])[..., 0])
        x_int.append(pos % width_max)
        y_int.append(ember.div(pos, width_max, rounding_mode="floor"))
    x_int, y_int, end_scores = ember.cat(x_int), ember.cat(y_int), ember.cat(end_scores)

    width_correction = (widths / widths_ceil)[:, None]
    height_correction = (heights / heights_ceil)[:, None]
    x = (x_int.float() + 0.5) * width_correction + offset_x[:, None]
    y = (y_int.float() + 0.5) * height_correction + offset_y[:, None]
    xy_preds = ember.stack([x, y, ember.ones_like(x)], dim=2)
    return xy_preds.float(), end_scores.float()


def keypointrcnn_loss(keypoint_logits, proposals, gt_keypoints, keypoint_matched_idxs):
    """The cross-entropy, over the ``H × W`` cells of each heatmap, of the visible keypoints
    that fall inside their proposal (:func:`keypoints_to_heatmap`); zero (with a gradient
    path) when there are none."""
    N, K, H, W = keypoint_logits.shape
    if H != W:
        raise ValueError(
            "keypoint_logits height and width (last two elements of shape) should be equal. "
            f"Instead got H = {H} and W = {W}"
        )
    discretization_size = H
    heatmaps = []
    valid = []
    for proposals_per_image, gt_kp_in_image, midx in zip(
        proposals, gt_keypoints, keypoint_matched_idxs
    ):
        kp = gt_kp_in_image[midx]
        heatmaps_per_image, valid_per_image = keypoints_to_heatmap(
            kp, proposals_per_image, discretization_size
        )
        heatmaps.append(heatmaps_per_image.view(-1))
        valid.append(valid_per_image.view(-1))

    keypoint_targets = ember.cat(heatmaps, dim=0)
    valid = ember.cat(valid, dim=0).to(dtype=ember.uint8)
    valid = ember.where(valid)[0]

    # the mean (in cross_entropy) of an empty tensor is nan: handle it separately
    if keypoint_targets.numel() == 0 or len(valid) == 0:
        return keypoint_logits.sum() * 0

    keypoint_logits = keypoint_logits.view(N * K, H * W)
    return F.cross_entropy(keypoint_logits[valid], keypoint_targets[valid])


def keypointrcnn_inference(x, boxes):
    """:func:`heatmaps_to_keypoints` of the heatmap logits ``x`` per image: the keypoints and
    their scores, two lists with one tensor per image."""
    kp_probs = []
    kp_scores = []

    boxes_per_image = [box.size(0) for box in boxes]
    x2 = x.split(boxes_per_image, dim=0)

    for xx, bb in zip(x2, boxes):
        kp_prob, scores = heatmaps_to_keypoints(xx, bb)
        kp_probs.append(kp_prob)
        kp_scores.append(scores)

    return kp_probs, kp_scores


def expand_boxes(boxes, scale):
    """``boxes`` ``[N, 4]`` scaled by ``scale`` about their centres."""
    w_half = (boxes[:, 2] - boxes[:, 0]) * 0.5
    h_half = (boxes[:, 3] - boxes[:, 1]) * 0.5
    x_c = (boxes[:, 2] + boxes[:, 0]) * 0.5
    y_c = (boxes[:, 3] + boxes[:, 1]) * 0.5

    w_half = w_half * scale
    h_half = h_half * scale

    return ember.stack((x_c - w_half, y_c - h_half, x_c + w_half, y_c + h_half), dim=1)


def expand_masks(mask, padding):
    """``mask`` ``[..., M, M]`` zero-padded by ``padding`` on every side, and the scale
    ``(M + 2 padding) / M`` by which its box grows."""
    M = mask.shape[-1]
    scale = float(M + 2 * padding) / M
    padded_mask = F.pad(mask, (padding,) * 4)
    return padded_mask, scale


def _paste_matrix(start, end, length, in_size, dtype):
    """The bilinear resampling matrices ``[N, length, in_size]`` that place, along one image
    axis of ``length`` pixels, a mask of ``in_size`` resized to ``end - start + 1`` pixels
    (at least 1) at integer position ``start``; pixels outside ``[start, end]`` get no
    weight."""
    pixels = ember.arange(length, device=start.device)
    positions = pixels[None, :] - start[:, None]
    size = (end - start + 1).clamp(min=1)
    matrix = _resampling_matrix(positions, size, in_size, "bilinear", dtype)
    inside = (positions >= 0) & (pixels[None, :] <= end[:, None])
    return matrix * inside[..., None].to(dtype)


def paste_masks_in_image(masks, boxes, img_shape, padding=1):
    """Paste each mask into an image of ``img_shape`` at its box.

    Each mask is padded by ``padding`` zeros, its box enlarged to match and rounded toward
    zero to integers, and the mask resized (bilinear) to the box's size plus one and pasted
    with its top-left corner at the box's, clipped to the image.

    Args:
        masks (Tensor[N, 1, M, M]): the mask probabilities.
        boxes (Tensor[N, 4]): the boxes in ``(x1, y1, x2, y2)`` image coordinates.
        img_shape (Tuple[int, int]): the image's ``(height, width)``.
        padding (int): Default: 1.

    Returns:
        Tensor[N, 1, height, width]
    """
    masks, scale = expand_masks(masks, padding=padding)
    boxes = expand_boxes(boxes, scale).to(dtype=ember.int64)
    im_h, im_w = img_shape
    if masks.shape[0] == 0:
        return masks.new_empty((0, 1, im_h, im_w))
    size = masks.shape[-1]
    x0, y0, x1, y1 = boxes.unbind(1)
    rows = _paste_matrix(y0, y1, im_h, size, masks.dtype)
    cols = _paste_matrix(x0, x1, im_w, size, masks.dtype)
    # torch's bilinear kernel sums the width taps first, then the height's
    return (rows @ (masks[:, 0] @ cols.transpose(1, 2)))[:, None]


class RoIHeads(nn.Module):
    """The box, mask and keypoint heads of the R-CNN models on top of the proposals.

    In training it samples proposals against the targets and returns the losses
    (``loss_classifier``, ``loss_box_reg``, and ``loss_mask`` / ``loss_keypoint`` with those
    branches); in evaluation it returns one dict per image with ``boxes``, ``labels``,
    ``scores`` (and ``masks``, ``keypoints``, ``keypoints_scores``).

    Args:
        box_roi_pool (MultiScaleRoIAlign), box_head (nn.Module), box_predictor (nn.Module):
            pooling, head and predictor of the box branch.
        fg_iou_thresh (float), bg_iou_thresh (float): IoU from which a proposal is positive,
            below which negative.
        batch_size_per_image (int), positive_fraction (float): the proposals sampled per image
            in training, and the fraction of positives among them.
        bbox_reg_weights (Tuple[float, float, float, float], optional): weights of the box
            coder. Default: (10, 10, 5, 5).
        score_thresh (float), nms_thresh (float), detections_per_img (int): post-processing.
        mask_roi_pool, mask_head, mask_predictor (optional): the mask branch.
        keypoint_roi_pool, keypoint_head, keypoint_predictor (optional): the keypoint branch.
    """

    def __init__(
        self,
        box_roi_pool,
        box_head,
        box_predictor,
        # Faster R-CNN training
        fg_iou_thresh,
        bg_iou_thresh,
        batch_size_per_image,
        positive_fraction,
        bbox_reg_weights,
        # Faster R-CNN inference
        score_thresh,
        nms_thresh,
        detections_per_img,
        # Mask
        mask_roi_pool=None,
        mask_head=None,
        mask_predictor=None,
        keypoint_roi_pool=None,
        keypoint_head=None,
        keypoint_predictor=None,
    ):
        super().__init__()

        self.box_similarity = box_ops.box_iou
        # assign ground-truth boxes for each proposal
        self.proposal_matcher = det_utils.Matcher(
            fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=False
        )

        self.fg_bg_sampler = det_utils.BalancedPositiveNegativeSampler(
            batch_size_per_image, positive_fraction
        )

        if bbox_reg_weights is None:
            bbox_reg_weights = (10.0, 10.0, 5.0, 5.0)
        self.box_coder = det_utils.BoxCoder(bbox_reg_weights)

        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor

        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img

        self.mask_roi_pool = mask_roi_pool
        self.mask_head = mask_head
        self.mask_predictor = mask_predictor

        self.keypoint_roi_pool = keypoint_roi_pool
        self.keypoint_head = keypoint_head
        self.keypoint_predictor = keypoint_predictor

    def has_mask(self):
        return (
            self.mask_roi_pool is not None
            and self.mask_head is not None
            and self.mask_predictor is not None
        )

    def has_keypoint(self):
        return (
            self.keypoint_roi_pool is not None
            and self.keypoint_head is not None
            and self.keypoint_predictor is not None
        )

    def assign_targets_to_proposals(self, proposals, gt_boxes, gt_labels):
        """For every image, the ground truth each proposal is matched to (clamped at 0) and
        its label (the gt's class, 0 background, -1 ignored)."""
        matched_idxs = []
        labels = []
        for proposals_in_image, gt_boxes_in_image, gt_labels_in_image in zip(
            proposals, gt_boxes, gt_labels
        ):
            if gt_boxes_in_image.numel() == 0:
                # Background image
                device = proposals_in_image.device
                clamped_matched_idxs_in_image = ember.zeros(
                    (proposals_in_image.shape[0],), dtype=ember.int64, device=device
                )
                labels_in_image = ember.zeros(
                    (proposals_in_image.shape[0],), dtype=ember.int64, device=device
                )
            else:
                match_quality_matrix = box_ops.box_iou(gt_boxes_in_image, proposals_in_image)
                matched_idxs_in_image = self.proposal_matcher(match_quality_matrix)

                clamped_matched_idxs_in_image = matched_idxs_in_image.clamp(min=0)

                labels_in_image = gt_labels_in_image[clamped_matched_idxs_in_image]
                labels_in_image = labels_in_image.to(dtype=ember.int64)

                # Label background (below the low threshold)
                bg_inds = matched_idxs_in_image == self.proposal_matcher.BELOW_LOW_THRESHOLD
                labels_in_image[bg_inds] = 0

                # Label ignore proposals (between low and high thresholds)
                ignore_inds = matched_idxs_in_image == self.proposal_matcher.BETWEEN_THRESHOLDS
                labels_in_image[ignore_inds] = -1  # -1 is ignored by sampler

            matched_idxs.append(clamped_matched_idxs_in_image)
            labels.append(labels_in_image)
        return matched_idxs, labels

    def subsample(self, labels):
        """The indices of the proposals the sampler keeps, per image."""
        sampled_pos_inds, sampled_neg_inds = self.fg_bg_sampler(labels)
        return [
            ember.where(pos_inds_img | neg_inds_img)[0]
            for pos_inds_img, neg_inds_img in zip(sampled_pos_inds, sampled_neg_inds)
        ]

    def add_gt_proposals(self, proposals, gt_boxes):
        return [ember.cat((proposal, gt_box)) for proposal, gt_box in zip(proposals, gt_boxes)]

    def check_targets(self, targets):
        if targets is None:
            raise ValueError("targets should not be None")
        if not all("boxes" in t for t in targets):
            raise ValueError("Every element of targets should have a boxes key")
        if not all("labels" in t for t in targets):
            raise ValueError("Every element of targets should have a labels key")
        if self.has_mask() and not all("masks" in t for t in targets):
            raise ValueError("Every element of targets should have a masks key")

    def select_training_samples(self, proposals, targets):
        """The ground-truth boxes added to the proposals, which are matched and sampled:
        the sampled proposals, their matched gt indices, labels and regression targets."""
        self.check_targets(targets)
        dtype = proposals[0].dtype
        device = proposals[0].device

        gt_boxes = [t["boxes"].to(dtype) for t in targets]
        gt_labels = [t["labels"] for t in targets]

        # append ground-truth bboxes to propos
        proposals = self.add_gt_proposals(proposals, gt_boxes)

        # get matching gt indices for each proposal
        matched_idxs, labels = self.assign_targets_to_proposals(proposals, gt_boxes, gt_labels)
        # sample a fixed proportion of positive-negative proposals
        sampled_inds = self.subsample(labels)
        matched_gt_boxes = []
        num_images = len(proposals)
        for img_id in range(num_images):
            img_sampled_inds = sampled_inds[img_id]
            proposals[img_id] = proposals[img_id][img_sampled_inds]
            labels[img_id] = labels[img_id][img_sampled_inds]
            matched_idxs[img_id] = matched_idxs[img_id][img_sampled_inds]

            gt_boxes_in_image = gt_boxes[img_id]
            if gt_boxes_in_image.numel() == 0:
                gt_boxes_in_image = ember.zeros((1, 4), dtype=dtype, device=device)
            matched_gt_boxes.append(gt_boxes_in_image[matched_idxs[img_id]])

        regression_targets = self.box_coder.encode(matched_gt_boxes, proposals)
        return proposals, matched_idxs, labels, regression_targets

    def postprocess_detections(self, class_logits, box_regression, proposals, image_shapes):
        """Per image: every (proposal, foreground class) pair decoded and clipped, kept if its
        softmax score is above ``score_thresh`` and its box not empty, suppressed per class and
        cut to ``detections_per_img``: boxes, scores and labels."""
        device = class_logits.device
        num_classes = class_logits.shape[-1]

        boxes_per_image = [boxes_in_image.shape[0] for boxes_in_image in proposals]
        pred_boxes = self.box_coder.decode(box_regression, proposals)

        pred_scores = F.softmax(class_logits, -1)

        pred_boxes_list = pred_boxes.split(boxes_per_image, 0)
        pred_scores_list = pred_scores.split(boxes_per_image, 0)

        all_boxes = []
        all_scores = []
        all_labels = []
        for boxes, scores, image_shape in zip(pred_boxes_list, pred_scores_list, image_shapes):
            boxes = box_ops.clip_boxes_to_image(boxes, image_shape)

            # create labels for each prediction
            labels = ember.arange(num_classes, device=device)
            labels = labels.view(1, -1).expand_as(scores)

            # remove predictions with the background label
            boxes = boxes[:, 1:]
            scores = scores[:, 1:]
            labels = labels[:, 1:]

            # batch everything, by making every class prediction be a separate instance
            boxes = boxes.reshape(-1, 4)
            scores = scores.reshape(-1)
            labels = labels.reshape(-1)

            # remove low scoring boxes
            inds = ember.where(scores > self.score_thresh)[0]
            boxes, scores, labels = boxes[inds], scores[inds], labels[inds]

            # remove empty boxes
            keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]

            # non-maximum suppression, independently done per class
            keep = box_ops.batched_nms(boxes, scores, labels, self.nms_thresh)
            # keep only topk scoring predictions
            keep = keep[: self.detections_per_img]
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]

            all_boxes.append(boxes)
            all_scores.append(scores)
            all_labels.append(labels)

        return all_boxes, all_scores, all_labels

    def _positives(self, proposals, matched_idxs, labels):
        """The positive proposals of each image and the ground truth they match."""
        positive_proposals = []
        pos_matched_idxs = []
        for proposals_in_image, matched_in_image, labels_in_image in zip(
            proposals, matched_idxs, labels
        ):
            pos = ember.where(labels_in_image > 0)[0]
            positive_proposals.append(proposals_in_image[pos])
            pos_matched_idxs.append(matched_in_image[pos])
        return positive_proposals, pos_matched_idxs

    def forward(self, features, proposals, image_shapes, targets=None):
        """
        Args:
            features (Dict[str, Tensor]): the backbone's feature maps.
            proposals (List[Tensor[N, 4]]): the proposals of each image.
            image_shapes (List[Tuple[H, W]]): the sizes of the (resized) images.
            targets (List[Dict], optional): required in training.

        Returns:
            result (List[Dict[str, Tensor]]): the detections (empty in training).
            losses (Dict[str, Tensor]): the losses (empty in evaluation).
        """
        if targets is not None:
            for t in targets:
                floating_point_types = (ember.float32, ember.float64, ember.float16)
                if t["boxes"].dtype not in floating_point_types:
                    raise TypeError(
                        f"target boxes must of float type, instead got {t['boxes'].dtype}"
                    )
                if not t["labels"].dtype == ember.int64:
                    raise TypeError(
                        f"target labels must of int64 type, instead got {t['labels'].dtype}"
                    )
                if self.has_keypoint() and t["keypoints"].dtype != ember.float32:
                    raise TypeError(
                        f"target keypoints must of float type, instead got {t['keypoints'].dtype}"
                    )

        if self.training:
            proposals, matched_idxs, labels, regression_targets = self.select_training_samples(
                proposals, targets
            )

        box_features = self.box_roi_pool(features, proposals, image_shapes)
        box_features = self.box_head(box_features)
        class_logits, box_regression = self.box_predictor(box_features)

        result = []
        losses = {}
        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(
                class_logits, box_regression, labels, regression_targets
            )
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
            if self.has_mask() or self.has_keypoint():
                # the mask and keypoint branches train on the positive proposals only
                positive_proposals, pos_matched_idxs = self._positives(
                    proposals, matched_idxs, labels
                )
        else:
            boxes, scores, labels = self.postprocess_detections(
                class_logits, box_regression, proposals, image_shapes
            )
            for i in range(len(boxes)):
                result.append({"boxes": boxes[i], "labels": labels[i], "scores": scores[i]})
            positive_proposals = [r["boxes"] for r in result]

        if self.has_mask():
            mask_features = self.mask_roi_pool(features, positive_proposals, image_shapes)
            mask_features = self.mask_head(mask_features)
            mask_logits = self.mask_predictor(mask_features)

            if self.training:
                gt_masks = [t["masks"] for t in targets]
                gt_labels = [t["labels"] for t in targets]
                losses["loss_mask"] = maskrcnn_loss(
                    mask_logits, positive_proposals, gt_masks, gt_labels, pos_matched_idxs
                )
            else:
                labels = [r["labels"] for r in result]
                masks_probs = maskrcnn_inference(mask_logits, labels)
                for mask_prob, r in zip(masks_probs, result):
                    r["masks"] = mask_prob

        if self.has_keypoint():
            keypoint_features = self.keypoint_roi_pool(features, positive_proposals, image_shapes)
            keypoint_features = self.keypoint_head(keypoint_features)
            keypoint_logits = self.keypoint_predictor(keypoint_features)

            if self.training:
                gt_keypoints = [t["keypoints"] for t in targets]
                losses["loss_keypoint"] = keypointrcnn_loss(
                    keypoint_logits, positive_proposals, gt_keypoints, pos_matched_idxs
                )
            else:
                keypoints_probs, kp_scores = keypointrcnn_inference(
                    keypoint_logits, positive_proposals
                )
                for keypoint_prob, kps, r in zip(keypoints_probs, kp_scores, result):
                    r["keypoints"] = keypoint_prob
                    r["keypoints_scores"] = kps

        return result, losses
