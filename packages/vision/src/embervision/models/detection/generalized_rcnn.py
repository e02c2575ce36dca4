"""Implements the Generalized R-CNN framework (torchvision's
``models/detection/generalized_rcnn.py``): transform, backbone, RPN and RoI heads in turn."""

from __future__ import annotations

from ._utils import _check_inputs, _Detector

__all__ = ["GeneralizedRCNN"]


class GeneralizedRCNN(_Detector):
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
        images, targets, original_image_sizes, features = _check_inputs(self, images, targets)
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
