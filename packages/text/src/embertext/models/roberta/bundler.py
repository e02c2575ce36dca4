"""Pretrained RoBERTa and XLM-R encoders: configuration, checkpoint URL and input transform
(``torchtext.models.roberta.bundler``).

The checkpoints are torchtext's ``.pt`` files, read by ``ember.hub.load_state_dict_from_url``
(no code of them runs); without network access it fails at once, saying where to put the
file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from ember import nn

from ... import transforms as T
from .._assets import (
    _TEXT_BUCKET,
    SentencePieceTokenizer,
    _asset_path,
    _state_dict,
    load_vocab_from_url,
)
from .model import RobertaEncoderConf, RobertaModel

__all__ = [
    "RobertaBundle",
    "XLMR_BASE_ENCODER",
    "XLMR_LARGE_ENCODER",
    "ROBERTA_BASE_ENCODER",
    "ROBERTA_LARGE_ENCODER",
    "ROBERTA_DISTILLED_ENCODER",
]

logger = logging.getLogger(__name__)


def _is_head_available_in_checkpoint(checkpoint, head_state_dict):
    return all(key in checkpoint for key in head_state_dict)


@dataclass
class RobertaBundle:
    """A pretrained encoder: its configuration, checkpoint and input transform.

    Example - Pretrained base xlmr encoder
        >>> import embertext
        >>> from embertext.functional import to_tensor
        >>> xlmr_base = embertext.models.XLMR_BASE_ENCODER
        >>> model = xlmr_base.get_model()
        >>> transform = xlmr_base.transform()
        >>> model_input = to_tensor(transform(["Hello world", "How are you!"]), padding_value=1)
        >>> model(model_input).shape
        ember.Size([2, 6, 768])

    Example - User-specified configuration and checkpoint
        >>> from embertext.models import RobertaEncoderConf, RobertaBundle, RobertaClassificationHead
        >>> model_weights_path = "https://download.pytorch.org/models/text/xlmr.base.encoder.pt"
        >>> encoder_conf = RobertaEncoderConf(vocab_size=250002)
        >>> classifier_head = RobertaClassificationHead(num_classes=2, input_dim=768)
        >>> model = RobertaBundle.build_model(
        ...     encoder_conf=encoder_conf, head=classifier_head, checkpoint=model_weights_path
        ... )
    """

    _encoder_conf: RobertaEncoderConf
    _path: str | None = None
    _head: nn.Module | None = None
    transform: Callable | None = None

    def get_model(self, *, head=None, load_weights=True, freeze_encoder=False, dl_kwargs=None):
        """The model, with the pretrained weights unless ``load_weights`` is False.

        Args:
            head (nn.Module): A module to be attached to the encoder to perform specific task.
                If provided, it will replace the default member head (Default: ``None``)
            load_weights (bool): Indicates whether or not to load weights if available.
                (Default: ``True``)
            freeze_encoder (bool): Indicates whether or not to freeze the encoder weights.
                (Default: ``False``)
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`. (Default: ``None``)

        Raises:
            RuntimeError: the checkpoint cannot be downloaded (no network: the message says
                where to put it).
        """
        if load_weights:
            assert self._path is not None, (
                "load_weights cannot be True. The pre-trained model weights are not available "
                "for the current object"
            )
        if freeze_encoder and (not load_weights or not self._path):
            logger.warning(
                "The encoder is not loaded with pre-trained weights. Setting freeze_encoder to "
                "True will hinder encoder from learning appropriate weights."
            )
        if head is not None:
            input_head = head
            if self._head is not None:
                # torchtext calls logger.log without a level here, which raises TypeError
                logger.info(
                    "A custom head module was provided, discarding the default head module."
                )
        else:
            input_head = self._head

        return RobertaBundle.build_model(
            encoder_conf=self._encoder_conf,
            head=input_head,
            freeze_encoder=freeze_encoder,
            checkpoint=self._path if load_weights else None,
            override_checkpoint_head=True,
            strict=False,
            dl_kwargs=dl_kwargs,
        )

    @classmethod
    def build_model(
        cls,
        encoder_conf,
        *,
        head=None,
        freeze_encoder=False,
        checkpoint=None,
        override_checkpoint_head=False,
        strict=False,
        dl_kwargs=None,
    ):
        """Class builder method.

        Args:
            encoder_conf (RobertaEncoderConf): An instance of class RobertaEncoderConf that
                defined the encoder configuration
            head (nn.Module): A module to be attached to the encoder to perform specific task.
                (Default: ``None``)
            freeze_encoder (bool): Indicates whether to freeze the encoder weights.
                (Default: ``False``)
            checkpoint (str or Dict[str, ember.Tensor]): Path to or actual model state_dict.
                state_dict can have partial weights i.e only for encoder. (Default: ``None``)
            override_checkpoint_head (bool): Override the checkpoint's head state dict (if
                present) with provided head state dict. (Default: ``False``)
            strict (bool): Passed to :func:`ember.nn.Module.load_state_dict` method.
                (Default: ``False``)
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`. (Default: ``None``)
        """
        model = RobertaModel(encoder_conf, head, freeze_encoder)
        if checkpoint is not None:
            state_dict = _state_dict(checkpoint, dl_kwargs)
            if head is not None:
                head_state_dict = {
                    k: v for k, v in model.state_dict().items() if k.startswith("head.")
                }
                # a checkpoint without the head's weights gets the given head's
                if (
                    not _is_head_available_in_checkpoint(state_dict, head_state_dict)
                    or override_checkpoint_head
                ):
                    state_dict.update(head_state_dict)
            model.load_state_dict(state_dict, strict=strict)
        return model

    @property
    def encoderConf(self):
        return self._encoder_conf


def xlmr_transform(truncate_length):
    """Standard transform for XLMR models: SentencePiece pieces, their ids in XLM-R's
    vocabulary, truncation, then ``<s>`` (0) before and ``</s>`` (2) after."""
    return T.Sequential(
        SentencePieceTokenizer(urljoin(_TEXT_BUCKET, "xlmr.sentencepiece.bpe.model")),
        T.VocabTransform(load_vocab_from_url(urljoin(_TEXT_BUCKET, "xlmr.vocab.pt"))),
        T.Truncate(truncate_length),
        T.AddToken(token=0, begin=True),
        T.AddToken(token=2, begin=False),
    )


def roberta_transform(truncate_length):
    """Standard transform for RoBERTa models: GPT-2 BPE ids, their ids in RoBERTa's
    vocabulary, truncation, then ``<s>`` (0) before and ``</s>`` (2) after."""
    return T.Sequential(
        T.GPT2BPETokenizer(
            encoder_json_path=_asset_path(urljoin(_TEXT_BUCKET, "gpt2_bpe_encoder.json")),
            vocab_bpe_path=_asset_path(urljoin(_TEXT_BUCKET, "gpt2_bpe_vocab.bpe")),
        ),
        T.VocabTransform(load_vocab_from_url(urljoin(_TEXT_BUCKET, "roberta.vocab.pt"))),
        T.Truncate(truncate_length),
        T.AddToken(token=0, begin=True),
        T.AddToken(token=2, begin=False),
    )


_FAIRSEQ_LICENSE = """
    Originally published by the authors of {} under MIT License
    and redistributed with the same license.
    [`License <https://github.com/pytorch/fairseq/blob/main/LICENSE>`__,
    `Source <https://github.com/pytorch/fairseq/tree/main/examples/{}#pre-trained-models>`__]

    Please refer to :func:`embertext.models.RobertaBundle` for the usage.
    """

_XLMR_DOC = """
    XLM-R Encoder with {} configuration

    The XLM-RoBERTa model was proposed in `Unsupervised Cross-lingual Representation Learning
    at Scale <https://arxiv.org/abs/1911.02116>`. It is a large multi-lingual language model,
    trained on 2.5TB of filtered CommonCrawl data and based on the RoBERTa model architecture.
    """ + _FAIRSEQ_LICENSE.format("XLM-RoBERTa", "xlmr")

_ROBERTA_DOC = """
    Roberta Encoder with {} configuration

    RoBERTa iterates on BERT's pretraining procedure, including training the model longer,
    with bigger batches over more data; removing the next sentence prediction objective;
    training on longer sequences; and dynamically changing the masking pattern applied
    to the training data.

    The RoBERTa model was pretrained on the reunion of five datasets: BookCorpus,
    English Wikipedia, CC-News, OpenWebText, and STORIES. Together theses datasets
    contain over a 160GB of text.
    """ + _FAIRSEQ_LICENSE.format("RoBERTa", "roberta")

_LARGE = {"embedding_dim": 1024, "ffn_dimension": 4096, "num_attention_heads": 16}

XLMR_BASE_ENCODER = RobertaBundle(
    _path=urljoin(_TEXT_BUCKET, "xlmr.base.encoder.pt"),
    _encoder_conf=RobertaEncoderConf(vocab_size=250002),
    transform=lambda: xlmr_transform(254),
)
XLMR_BASE_ENCODER.__doc__ = _XLMR_DOC.format("Base")

XLMR_LARGE_ENCODER = RobertaBundle(
    _path=urljoin(_TEXT_BUCKET, "xlmr.large.encoder.pt"),
    _encoder_conf=RobertaEncoderConf(vocab_size=250002, num_encoder_layers=24, **_LARGE),
    transform=lambda: xlmr_transform(510),
)
XLMR_LARGE_ENCODER.__doc__ = _XLMR_DOC.format("Large")

ROBERTA_BASE_ENCODER = RobertaBundle(
    _path=urljoin(_TEXT_BUCKET, "roberta.base.encoder.pt"),
    _encoder_conf=RobertaEncoderConf(vocab_size=50265),
    transform=lambda: roberta_transform(254),
)
ROBERTA_BASE_ENCODER.__doc__ = _ROBERTA_DOC.format("Base")

ROBERTA_LARGE_ENCODER = RobertaBundle(
    _path=urljoin(_TEXT_BUCKET, "roberta.large.encoder.pt"),
    _encoder_conf=RobertaEncoderConf(vocab_size=50265, num_encoder_layers=24, **_LARGE),
    transform=lambda: roberta_transform(510),
)
ROBERTA_LARGE_ENCODER.__doc__ = _ROBERTA_DOC.format("Large")

ROBERTA_DISTILLED_ENCODER = RobertaBundle(
    _path=urljoin(_TEXT_BUCKET, "roberta.distilled.encoder.pt"),
    _encoder_conf=RobertaEncoderConf(num_encoder_layers=6, padding_idx=1),
    transform=lambda: roberta_transform(510),
)
ROBERTA_DISTILLED_ENCODER.__doc__ = """
    Roberta Encoder with Distilled Weights

    DistilRoBERTa is trained using knowledge distillation, a technique to compress a large
    model called the teacher into a smaller model called the student. By distillating RoBERTa,
    a smaller and faster Transformer model is obtained while maintaining most of the performance.

    DistilRoBERTa was pretrained solely on OpenWebTextCorpus, a reproduction of OpenAI's WebText
    dataset. On average DistilRoBERTa is twice as fast as RoBERTa Base.

    Originally published by Hugging Face under the Apache 2.0 License
    and redistributed with the same license.
    [`License <https://www.apache.org/licenses/LICENSE-2.0>`__,
    `Source <https://github.com/huggingface/transformers/tree/main/examples/research_projects/distillation>`__]

    Please refer to :func:`embertext.models.RobertaBundle` for the usage.
    """
