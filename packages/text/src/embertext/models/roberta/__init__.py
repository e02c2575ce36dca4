"""RoBERTa and XLM-R encoders (``torchtext.models.roberta``)."""

from .bundler import (
    ROBERTA_BASE_ENCODER,
    ROBERTA_DISTILLED_ENCODER,
    ROBERTA_LARGE_ENCODER,
    XLMR_BASE_ENCODER,
    XLMR_LARGE_ENCODER,
    RobertaBundle,
)
from .model import RobertaClassificationHead, RobertaEncoderConf, RobertaModel

__all__ = [
    "RobertaEncoderConf",
    "RobertaClassificationHead",
    "RobertaModel",
    "RobertaBundle",
    "XLMR_BASE_ENCODER",
    "XLMR_LARGE_ENCODER",
    "ROBERTA_BASE_ENCODER",
    "ROBERTA_LARGE_ENCODER",
    "ROBERTA_DISTILLED_ENCODER",
]
