"""Implements the Generalized R-CNN framework (torchvision's
``models/detection/generalized_rcnn.py``): transform, backbone, RPN and RoI heads in turn."""

from __future__ import annotations

from collections import OrderedDict

import ember
from ember import nn

__all__ = ["GeneralizedRCNN"]


class GeneralizedRCNN(nn.Module):
    """Main class for Generalized R-CNN.

    Args:
        backbone (nn.Module):
        rpn (nn.Module):
        roi_heads (nn.Module): takes the features + the proposals from the RPN and computes
            detections / masks from it.
        transform (nn.Module): performs the data transformation from the inputs to feed into
            the model
    """

    def __init__(self, backbone, rpn, roi_heads, transform):
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads

    def eager_outputs(self, losses, detections):
        """The losses in training, the detections in evaluation."""
        if self.training:
            return losses
        return detections

    def forward(self, images, targets=None):
        """
        Args:
            images (list[Tensor]): images to be processed
            targets (list[dict[str, tensor]]): ground-truth boxes present in the image
                (optional)

        Returns:
            result (list[BoxList] or dict[Tensor]): the output from the model. During training,
            it returns a dict[Tensor] which contains the losses. During testing, it returns
            list[BoxList] contains additional fields like `scores`, `labels` and `mask` (for
            Mask R-CNN models).
        """
        if self.training:
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

        images, targets = self.transform(images, targets)

        # Check for degenerate boxes
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

        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        proposals, proposal_losses = self.rpn(images, features, targets)
        detections, detector_losses = self.roi_heads(
            features, proposals, images.image_sizes, targets
        )
        detections = self.transform.postprocess(
            detections, images.image_sizes, original_image_sizes
        )

        losses = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)

        return self.eager_outputs(losses, detections)
