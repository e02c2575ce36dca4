"""The box machinery the detection models share (torchvision's ``models/detection/_utils.py``):
the positive/negative sampler, the box coders, the matchers and two model helpers; then the
steps the one-stage detectors (RetinaNet, FCOS, SSD) share: input checks, anchor matching, box
losses, the selection of the detections and the freezing of backbone stages."""

from __future__ import annotations

import math
from collections import OrderedDict

import ember
from ember import nn
from ember.nn import functional as F

from ...ops import boxes as box_ops
from ...ops.ciou_loss import complete_box_iou_loss
from ...ops.diou_loss import distance_box_iou_loss
from ...ops.giou_loss import generalized_box_iou_loss
from ...ops.misc import FrozenBatchNorm2d

# the largest dw, dh BoxCoder decodes: boxes grow at most 1000 / 16 times
_BBOX_XFORM_CLIP = math.log(1000.0 / 16)


class BalancedPositiveNegativeSampler:
    """This class samples batches, ensuring that they contain a fixed proportion of positives.

    Args:
        batch_size_per_image (int): number of elements to be selected per image
        positive_fraction (float): percentage of positive elements per batch
    """

    def __init__(self, batch_size_per_image, positive_fraction):
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, matched_idxs):
        """
        Args:
            matched_idxs (list[Tensor]): list of tensors containing -1, 0 or positive values.
                Each tensor corresponds to a specific image. -1 values are ignored, 0 are
                considered as negatives and > 0 as positives.

        Returns:
            pos_idx (list[Tensor]), neg_idx (list[Tensor]): two lists of binary (uint8) masks
            for each image, the first with the positive elements that were selected, the
            second with the negative ones. The elements are drawn with ``ember.randperm``.
        """
        pos_idx = []
        neg_idx = []
        for matched_idxs_per_image in matched_idxs:
            positive = ember.where(matched_idxs_per_image >= 1)[0]
            negative = ember.where(matched_idxs_per_image == 0)[0]

            num_pos = int(self.batch_size_per_image * self.positive_fraction)
            # protect against not enough positive examples
            num_pos = min(positive.numel(), num_pos)
            num_neg = self.batch_size_per_image - num_pos
            # protect against not enough negative examples
            num_neg = min(negative.numel(), num_neg)

            # randomly select positive and negative examples
            perm1 = ember.randperm(positive.numel(), device=positive.device)[:num_pos]
            perm2 = ember.randperm(negative.numel(), device=negative.device)[:num_neg]

            pos_idx_per_image_mask = ember.zeros_like(matched_idxs_per_image, dtype=ember.uint8)
            neg_idx_per_image_mask = ember.zeros_like(matched_idxs_per_image, dtype=ember.uint8)
            pos_idx_per_image_mask[positive[perm1]] = 1
            neg_idx_per_image_mask[negative[perm2]] = 1

            pos_idx.append(pos_idx_per_image_mask)
            neg_idx.append(neg_idx_per_image_mask)

        return pos_idx, neg_idx


def encode_boxes(reference_boxes, proposals, weights):
    """Encode a set of proposals with respect to some reference boxes.

    ``(wx * dx / w, wy * dy / h, ww * log(gt_w / w), wh * log(gt_h / h))`` with ``dx, dy``
    the shift of the centres and ``w, h`` the proposals' sizes.

    Args:
        reference_boxes (Tensor[N, 4]): reference boxes
        proposals (Tensor[N, 4]): boxes to be encoded
        weights (Tensor[4]): the weights for ``(x, y, w, h)``

    Returns:
        Tensor[N, 4]: the regression targets.
    """
    wx, wy, ww, wh = weights[0], weights[1], weights[2], weights[3]

    proposals_x1 = proposals[:, 0].unsqueeze(1)
    proposals_y1 = proposals[:, 1].unsqueeze(1)
    proposals_x2 = proposals[:, 2].unsqueeze(1)
    proposals_y2 = proposals[:, 3].unsqueeze(1)

    reference_boxes_x1 = reference_boxes[:, 0].unsqueeze(1)
    reference_boxes_y1 = reference_boxes[:, 1].unsqueeze(1)
    reference_boxes_x2 = reference_boxes[:, 2].unsqueeze(1)
    reference_boxes_y2 = reference_boxes[:, 3].unsqueeze(1)

    ex_widths = proposals_x2 - proposals_x1
    ex_heights = proposals_y2 - proposals_y1
    ex_ctr_x = proposals_x1 + 0.5 * ex_widths
    ex_ctr_y = proposals_y1 + 0.5 * ex_heights

    gt_widths = reference_boxes_x2 - reference_boxes_x1
    gt_heights = reference_boxes_y2 - reference_boxes_y1
    gt_ctr_x = reference_boxes_x1 + 0.5 * gt_widths
    gt_ctr_y = reference_boxes_y1 + 0.5 * gt_heights

    targets_dx = wx * (gt_ctr_x - ex_ctr_x) / ex_widths
    targets_dy = wy * (gt_ctr_y - ex_ctr_y) / ex_heights
    targets_dw = ww * ember.log(gt_widths / ex_widths)
    targets_dh = wh * ember.log(gt_heights / ex_heights)

    return ember.cat((targets_dx, targets_dy, targets_dw, targets_dh), dim=1)


class BoxCoder:
    """This class encodes and decodes a set of bounding boxes into the representation used for
    training the regressors.

    Args:
        weights (4-element tuple): the weights of ``(x, y, w, h)`` in the encoding.
        bbox_xform_clip (float): the largest ``dw``, ``dh`` decoded (so ``exp`` cannot
            overflow). Default: ``log(1000 / 16)``.
    """

    def __init__(self, weights, bbox_xform_clip=_BBOX_XFORM_CLIP):
        self.weights = weights
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, reference_boxes, proposals):
        """:meth:`encode_single` of all images at once, split back per image."""
        boxes_per_image = [len(b) for b in reference_boxes]
        reference_boxes = ember.cat(reference_boxes, dim=0)
        proposals = ember.cat(proposals, dim=0)
        targets = self.encode_single(reference_boxes, proposals)
        return targets.split(boxes_per_image, 0)

    def encode_single(self, reference_boxes, proposals):
        """Encode a set of proposals with respect to some reference boxes.

        Args:
            reference_boxes (Tensor): reference boxes
            proposals (Tensor): boxes to be encoded
        """
        weights = ember.as_tensor(
            self.weights, dtype=reference_boxes.dtype, device=reference_boxes.device
        )
        return encode_boxes(reference_boxes, proposals, weights)

    def decode(self, rel_codes, boxes):
        """Decode ``rel_codes`` against the boxes of every image (a list or tuple).

        Returns:
            Tensor[sum(N), K, 4]: the decoded boxes, ``K = rel_codes.numel() / (4 sum(N))``.
        """
        if not isinstance(boxes, (list, tuple)):
            raise AssertionError("This function expects boxes of type list or tuple.")
        if not isinstance(rel_codes, ember.Tensor):
            raise AssertionError("This function expects rel_codes of type torch.Tensor.")
        boxes_per_image = [b.size(0) for b in boxes]
        concat_boxes = ember.cat(boxes, dim=0)
        box_sum = sum(boxes_per_image)
        if box_sum > 0:
            rel_codes = rel_codes.reshape(box_sum, -1)
        pred_boxes = self.decode_single(rel_codes, concat_boxes)
        if box_sum > 0:
            pred_boxes = pred_boxes.reshape(box_sum, -1, 4)
        return pred_boxes

    def decode_single(self, rel_codes, boxes):
        """From a set of original boxes and encoded relative box offsets, get the decoded boxes.

        Args:
            rel_codes (Tensor[N, 4 K]): encoded boxes
            boxes (Tensor[N, 4]): reference boxes.
        """
        boxes = boxes.to(rel_codes.dtype)

        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights

        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        dw = rel_codes[:, 2::4] / ww
        dh = rel_codes[:, 3::4] / wh

        # Prevent sending too large values into exp()
        dw = ember.clamp(dw, max=self.bbox_xform_clip)
        dh = ember.clamp(dh, max=self.bbox_xform_clip)

        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        pred_w = ember.exp(dw) * widths[:, None]
        pred_h = ember.exp(dh) * heights[:, None]

        # Distance from center to box's corner.
        c_to_c_h = 0.5 * pred_h
        c_to_c_w = 0.5 * pred_w

        pred_boxes1 = pred_ctr_x - c_to_c_w
        pred_boxes2 = pred_ctr_y - c_to_c_h
        pred_boxes3 = pred_ctr_x + c_to_c_w
        pred_boxes4 = pred_ctr_y + c_to_c_h
        return ember.stack((pred_boxes1, pred_boxes2, pred_boxes3, pred_boxes4), dim=2).flatten(1)


class Matcher:
    """This class assigns to each predicted "element" (e.g., a box) a ground-truth element.
    Each predicted element will have exactly zero or one matches; each ground-truth element may
    be assigned to zero or more predicted elements.

    Matching is based on the MxN match_quality_matrix, that characterizes how well each
    (ground-truth, predicted)-pair match. For example, if the elements are boxes, the matrix
    may contain box IoU overlap values.

    The matcher returns a tensor of size N containing the index of the ground-truth element m
    that matches to prediction n. If there is no match, a negative value is returned.

    Args:
        high_threshold (float): quality values greater than or equal to this value are
            candidate matches.
        low_threshold (float): a lower quality threshold used to stratify matches into three
            levels: 1) matches >= high_threshold; 2) BETWEEN_THRESHOLDS matches in
            [low_threshold, high_threshold); 3) BELOW_LOW_THRESHOLD matches in
            [0, low_threshold)
        allow_low_quality_matches (bool): if True, produce additional matches for predictions
            that have only low-quality match candidates. See :meth:`set_low_quality_matches_`.
    """

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold, low_threshold, allow_low_quality_matches=False):
        if low_threshold > high_threshold:
            raise AssertionError("low_threshold should be <= high_threshold")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix):
        """
        Args:
            match_quality_matrix (Tensor[float]): an MxN tensor, containing the pairwise
                quality between M ground-truth elements and N predicted elements.

        Returns:
            matches (Tensor[int64]): an N tensor where N[i] is a matched gt in [0, M - 1] or a
            negative value indicating that prediction i could not be matched.
        """
        if match_quality_matrix.numel() == 0:
            # empty targets or proposals not supported during training
            if match_quality_matrix.shape[0] == 0:
                raise ValueError(
                    "No ground-truth boxes available for one of the images during training"
                )
            raise ValueError("No proposal boxes available for one of the images during training")

        # match_quality_matrix is M (gt) x N (predicted)
        # Max over gt elements (dim 0) to find best gt candidate for each prediction
        matched_vals, matches = match_quality_matrix.max(dim=0)
        all_matches = matches.clone() if self.allow_low_quality_matches else None

        # Assign candidate matches with low quality to negative (unassigned) values
        below_low_threshold = matched_vals < self.low_threshold
        between_thresholds = (matched_vals >= self.low_threshold) & (
            matched_vals < self.high_threshold
        )
        matches[below_low_threshold] = self.BELOW_LOW_THRESHOLD
        matches[between_thresholds] = self.BETWEEN_THRESHOLDS

        if self.allow_low_quality_matches:
            self.set_low_quality_matches_(matches, all_matches, match_quality_matrix)

        return matches

    def set_low_quality_matches_(self, matches, all_matches, match_quality_matrix):
        """Produce additional matches for predictions that have only low-quality matches.
        Specifically, for each ground-truth find the set of predictions that have maximum
        overlap with it (including ties); for each prediction in that set, if it is unmatched,
        then match it to the ground-truth with which it has the highest quality value."""
        # For each gt, find the prediction with which it has the highest quality
        highest_quality_foreach_gt, _ = match_quality_matrix.max(dim=1)
        # Find the highest quality match available, even if it is low, including ties
        gt_pred_pairs_of_highest_quality = ember.where(
            match_quality_matrix == highest_quality_foreach_gt[:, None]
        )
        pred_inds_to_update = gt_pred_pairs_of_highest_quality[1]
        matches[pred_inds_to_update] = all_matches[pred_inds_to_update]


class SSDMatcher(Matcher):
    """The matcher of SSD: a :class:`Matcher` with one threshold, after which every
    ground-truth element is matched to the prediction of highest quality with it.

    Args:
        threshold (float): quality values greater than or equal to this value are matches.
    """

    def __init__(self, threshold):
        super().__init__(threshold, threshold, allow_low_quality_matches=False)

    def __call__(self, match_quality_matrix):
        matches = super().__call__(match_quality_matrix)

        # For each gt, find the prediction with which it has the highest quality
        _, highest_quality_pred_foreach_gt = match_quality_matrix.max(dim=1)
        matches[highest_quality_pred_foreach_gt] = ember.arange(
            highest_quality_pred_foreach_gt.size(0),
            dtype=ember.int64,
            device=highest_quality_pred_foreach_gt.device,
        )
        return matches


def overwrite_eps(model, eps):
    """This method overwrites the default eps values of all the FrozenBatchNorm2d layers of the
    model with the provided value. This is necessary to address the BC-breaking change
    introduced by the bug-fix at pytorch/vision#2933. The overwrite is applied only when the
    pretrained weights are loaded to maintain compatibility with previous versions.

    Args:
        model (nn.Module): The model on which we perform the overwrite.
        eps (float): The new value of eps.
    """
    for module in model.modules():
        if isinstance(module, FrozenBatchNorm2d):
            module.eps = eps


def _require_out_channels(backbone):
    """Raise torchvision's ``ValueError`` for a backbone without ``out_channels``."""
    if not hasattr(backbone, "out_channels"):
        raise ValueError(
            "backbone should contain an attribute out_channels "
            "specifying the number of output channels (assumed to be the "
            "same for all the levels)"
        )


class _Detector(nn.Module):
    """What every detection model has: ``eager_outputs``."""

    def eager_outputs(self, losses, detections):
        """The losses in training, the detections in evaluation."""
        if self.training:
            return losses
        return detections


def retrieve_out_channels(model, size):
    """This method retrieves the number of output channels of a specific model.

    Args:
        model (nn.Module): The model for which we estimate the out_channels. It should return
            a single Tensor or an OrderedDict[Tensor].
        size (Tuple[int, int]): The size (wxh) of the input.

    Returns:
        out_channels (List[int]): A list of the output channels of the model.
    """
    in_training = model.training
    model.eval()

    with ember.no_grad():
        # Use dummy data to retrieve the feature map sizes to avoid hard-coding their values
        device = next(model.parameters()).device
        tmp_img = ember.zeros((1, 3, size[1], size[0]), device=device)
        features = model(tmp_img)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        out_channels = [x.size(1) for x in features.values()]

    if in_training:
        model.train()

    return out_channels


class BoxLinearCoder:
    """The linear box-to-box transform defined in FCOS. The transformation is parameterized by
    the distance from the center of (square) src box to 4 edges of the target box.

    Args:
        normalize_by_size (bool): normalize deltas by the size of src (anchor) boxes.
            Default: True.
    """

    def __init__(self, normalize_by_size=True):
        self.normalize_by_size = normalize_by_size

    def encode(self, reference_boxes, proposals):
        """Encode a set of proposals with respect to some reference boxes.

        Args:
            reference_boxes (Tensor[..., 4]): reference boxes
            proposals (Tensor[..., 4]): boxes to be encoded

        Returns:
            Tensor[..., 4]: the distances ``(left, top, right, bottom)`` from the reference
            boxes' centres to the proposals' edges, over the reference boxes' sizes when
            ``normalize_by_size``.
        """
        ctr_x, ctr_y = _centres(reference_boxes)
        targets = ember.stack(
            (
                ctr_x - proposals[..., 0],
                ctr_y - proposals[..., 1],
                proposals[..., 2] - ctr_x,
                proposals[..., 3] - ctr_y,
            ),
            dim=-1,
        )
        if self.normalize_by_size:
            targets = targets / _sizes(reference_boxes)
        return targets

    def decode(self, rel_codes, boxes):
        """From a set of original boxes and encoded relative box offsets, get the decoded boxes.

        Args:
            rel_codes (Tensor[..., 4]): encoded boxes
            boxes (Tensor[..., 4]): reference boxes, as many as ``rel_codes``.

        Returns:
            Tensor[..., 4]: the predicted boxes with the encoded relative box offsets.
        """
        boxes = boxes.to(dtype=rel_codes.dtype)
        ctr_x, ctr_y = _centres(boxes)
        if self.normalize_by_size:
            rel_codes = rel_codes * _sizes(boxes)
        return ember.stack(
            (
                ctr_x - rel_codes[..., 0],
                ctr_y - rel_codes[..., 1],
                ctr_x + rel_codes[..., 2],
                ctr_y + rel_codes[..., 3],
            ),
            dim=-1,
        )


def _centres(boxes):
    """The centres ``x, y`` of ``boxes`` ``[..., 4]``."""
    return 0.5 * (boxes[..., 0] + boxes[..., 2]), 0.5 * (boxes[..., 1] + boxes[..., 3])


def _sizes(boxes):
    """``(w, h, w, h)`` of ``boxes`` ``[..., 4]``: the scale of each coordinate."""
    w = boxes[..., 2] - boxes[..., 0]
    h = boxes[..., 3] - boxes[..., 1]
    return ember.stack((w, h, w, h), dim=-1)


# the IoU losses _box_loss takes by name; they compare decoded boxes
_IOU_LOSSES = {
    "giou": generalized_box_iou_loss,
    "diou": distance_box_iou_loss,
    "ciou": complete_box_iou_loss,
}


def _box_loss(type, box_coder, anchors, matched_gt_boxes, bbox_regression):
    """The box loss ``type`` of each predicted box: ``"l1"`` or ``"smooth_l1"`` (beta 1) of the
    encoded targets, summed over the four coordinates, or ``"giou"``, ``"diou"`` or ``"ciou"``
    of the decoded boxes. torchvision's ``_box_loss`` returns the sum of these.

    Args:
        type (str): the loss.
        box_coder (BoxCoder): encodes ``matched_gt_boxes`` and decodes ``bbox_regression``
            against ``anchors``.
        anchors (Tensor[K, 4]), matched_gt_boxes (Tensor[K, 4]), bbox_regression (Tensor[K, 4]):
            the anchors, their ground-truth boxes and their predicted deltas.

    Returns:
        Tensor[K]
    """
    if type in ("l1", "smooth_l1"):
        target_regression = box_coder.encode_single(matched_gt_boxes, anchors)
        loss = F.l1_loss if type == "l1" else F.smooth_l1_loss
        return loss(bbox_regression, target_regression, reduction="none").sum(-1)
    if type not in _IOU_LOSSES:
        raise AssertionError(f"Unsupported loss: {type}")
    bbox = box_coder.decode_single(bbox_regression, anchors)
    return _IOU_LOSSES[type](bbox, matched_gt_boxes)


def _unmatched(anchors):
    """-1 (no ground-truth box) for each of ``anchors``: the matches in an image without
    boxes."""
    return ember.full((anchors.size(0),), -1, dtype=ember.int64, device=anchors.device)


def _match_anchors(matcher, anchors, targets):
    """For every image, the index of the ground-truth box that ``matcher`` gives each anchor
    from their IoU (negative: unmatched; -1 everywhere in an image without boxes).

    Args:
        matcher (Matcher): takes the ``[boxes, anchors]`` IoU matrix.
        anchors (list[Tensor[A, 4]]): the anchors of every image.
        targets (list[dict[str, Tensor]]): the ``"boxes"`` of every image.

    Returns:
        list[Tensor[A]]: int64 indices.
    """
    matched_idxs = []
    for anchors_per_image, targets_per_image in zip(anchors, targets):
        if targets_per_image["boxes"].numel() == 0:
            matched_idxs.append(_unmatched(anchors_per_image))
            continue
        match_quality_matrix = box_ops.box_iou(targets_per_image["boxes"], anchors_per_image)
        matched_idxs.append(matcher(match_quality_matrix))
    return matched_idxs


def _foreground_targets(targets, matched_idxs, key):
    """``targets[key]`` of the ground truth each matched anchor (``matched_idxs >= 0``) is
    matched to, image after image: the order of ``ember.where(stack(matched_idxs) >= 0)``.

    Returns:
        Tensor[F, ...]: one entry per matched anchor.
    """
    return ember.cat(
        [t[key][m[m >= 0]] for t, m in zip(targets, matched_idxs)],
        dim=0,
    )


def _check_inputs(model, images, targets):
    """The start of a detector's forward: the targets checked (in training),
    ``model.transform`` applied, the boxes checked for positive sizes, and ``model.backbone``
    run on the batch.

    Returns:
        (ImageList, list[dict[str, Tensor]] or None, list[tuple[int, int]], list[Tensor]):
        the transformed images and targets, the images' original ``(height, width)``, and the
        backbone's feature maps (an ``OrderedDict``).
    """
    if model.training:
        if targets is None:
            raise AssertionError("targets should not be none when in training mode")
        for target in targets:
            boxes = target["boxes"]
            if not isinstance(boxes, ember.Tensor):
                raise AssertionError(
                    f"Expected target boxes to be of type Tensor, got {type(boxes)}."
                )
            if not (len(boxes.shape) == 2 and boxes.shape[-1] == 4):
                raise AssertionError(
                    f"Expected target boxes to be a tensor of shape [N, 4], got {boxes.shape}."
                )

    original_image_sizes = []
    for img in images:
        val = img.shape[-2:]
        if len(val) != 2:
            raise AssertionError(
                "expecting the last two dimensions of the Tensor to be H and W instead got "
                f"{img.shape[-2:]}"
            )
        original_image_sizes.append((val[0], val[1]))

    images, targets = model.transform(images, targets)

    if targets is not None:
        for target_idx, target in enumerate(targets):
            boxes = target["boxes"]
            degenerate_boxes = boxes[:, 2:] <= boxes[:, :2]
            if degenerate_boxes.any():
                # print the first degenerate box
                bb_idx = ember.where(degenerate_boxes.any(dim=1))[0][0]
                degen_bb = boxes[bb_idx].tolist()
                raise AssertionError(
                    "All bounding boxes should have positive height and width."
                    f" Found invalid box {degen_bb} for target at index {target_idx}."
                )

    features = model.backbone(images.tensors)
    if isinstance(features, ember.Tensor):
        features = OrderedDict([("0", features)])
    return images, targets, original_image_sizes, features


def _split_levels(head_outputs, anchors, num_anchors_per_level):
    """The head outputs (``[N, sum(HWA), C]`` each) and every image's anchors split per
    feature level, as ``postprocess_detections`` takes them."""
    split_head_outputs = {
        k: list(v.split(num_anchors_per_level, dim=1)) for k, v in head_outputs.items()
    }
    split_anchors = [list(a.split(num_anchors_per_level)) for a in anchors]
    return split_head_outputs, split_anchors


def _top_per_level(scores, box_regression, anchors, decode, score_thresh, topk_candidates):
    """The candidate detections of RetinaNet and FCOS: on every level, the
    ``topk_candidates`` best (anchor, class) scores above ``score_thresh`` of every image,
    with their decoded boxes.

    Args:
        scores (list[Tensor[N, HWA, K]]): the class scores of every level.
        box_regression (list[Tensor[N, HWA, 4]]): the box deltas of every level.
        anchors (list[list[Tensor[HWA, 4]]]): every image's anchors of every level.
        decode (callable): ``(rel_codes [M, 4], anchors [M, 4]) -> boxes [M, 4]``.

    Returns:
        (Tensor[N, M, 4], Tensor[N, M], Tensor[N, M]): boxes, scores and labels, level after
        level, each level's by decreasing score; a score of ``-inf`` marks no candidate.
    """
    num_images = len(anchors)
    image_idx = ember.arange(num_images, device=scores[0].device)[:, None]
    all_boxes, all_scores, all_labels = [], [], []
    for level, (scores_per_level, regression_per_level) in enumerate(zip(scores, box_regression)):
        num_classes = scores_per_level.shape[-1]
        scores_per_level = scores_per_level.flatten(1)
        # scores not above the threshold (NaN included) can only come after the candidates
        candidates = ember.where(scores_per_level > score_thresh, scores_per_level, -math.inf)
        num_topk = min(topk_candidates, candidates.shape[1])
        top_scores, topk_idxs = candidates.topk(num_topk, dim=1)
        anchor_idxs = ember.div(topk_idxs, num_classes, rounding_mode="floor")
        anchors_per_level = ember.stack([a[level] for a in anchors])
        boxes = decode(
            regression_per_level[image_idx, anchor_idxs].reshape(-1, 4),
            anchors_per_level[image_idx, anchor_idxs].reshape(-1, 4),
        )
        all_boxes.append(boxes.reshape(num_images, -1, 4))
        all_scores.append(top_scores)
        all_labels.append(topk_idxs % num_classes)
    return ember.cat(all_boxes, dim=1), ember.cat(all_scores, dim=1), ember.cat(all_labels, dim=1)


def _nms_detections(
    boxes, scores, labels, image_shapes, score_thresh, nms_thresh, detections_per_img
):
    """The detections of every image: its candidates scoring above ``score_thresh``, clipped
    to the image, suppressed class by class (``batched_nms``) and cut to the
    ``detections_per_img`` best.

    Args:
        boxes (Tensor[N, M, 4]), scores (Tensor[N, M]), labels (Tensor[N, M]): the candidates.
        image_shapes (list[tuple[int, int]]): the ``(height, width)`` of every image.

    Returns:
        list[dict[str, Tensor]]: ``boxes``, ``scores`` and ``labels`` of every image.
    """
    detections = []
    for image_boxes, image_scores, image_labels, image_shape in zip(
        boxes, scores, labels, image_shapes
    ):
        keep = image_scores > score_thresh
        image_boxes = box_ops.clip_boxes_to_image(image_boxes[keep], image_shape)
        image_scores, image_labels = image_scores[keep], image_labels[keep]
        keep = box_ops.batched_nms(image_boxes, image_scores, image_labels, nms_thresh)
        keep = keep[:detections_per_img]
        detections.append(
            {
                "boxes": image_boxes[keep],
                "scores": image_scores[keep],
                "labels": image_labels[keep],
            }
        )
    return detections


def _freeze_stages(layers, stage_indices, trainable_layers):
    """Freeze the parameters of ``layers`` (a Sequential) before the last
    ``trainable_layers`` of the stages that start at ``stage_indices`` (all of them for 0)."""
    num_stages = len(stage_indices)
    freeze_before = (
        len(layers) if trainable_layers == 0 else stage_indices[num_stages - trainable_layers]
    )
    for b in layers[:freeze_before]:
        for parameter in b.parameters():
            parameter.requires_grad_(False)
