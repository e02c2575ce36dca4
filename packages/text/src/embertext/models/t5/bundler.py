"""Pretrained T5 and FLAN-T5 models: configuration, checkpoint URL and input transform
(``torchtext.models.t5.bundler``).

The checkpoints are torchtext's ``.pt`` files, read by ``ember.hub.load_state_dict_from_url``
(no code of them runs); without network access it fails at once, saying where to put the
file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import ember

from .._assets import _TEXT_BUCKET, _state_dict
from .._generate import GenerationUtils
from .model import T5Conf, T5Model
from .t5_transform import T5Transform

__all__ = ["T5Bundle", "GenerationUtilsForT5"]

logger = logging.getLogger(__name__)


class GenerationUtilsForT5(GenerationUtils):
    """``GenerationUtils`` for a :class:`T5Model` (torchtext's subclass exists for
    TorchScript's typing; in eager mode it is ``GenerationUtils``)."""


def _hf_layer_keys(stack, i, is_gated_act):
    """Our name -> Hugging Face's, for the parameters of layer ``i`` of ``stack``
    (``"encoder"`` or ``"decoder"``)."""
    ff = 2 if stack == "decoder" else 1  # the feed-forward sub-layer follows cross-attention
    keys = {
        "linear2.weight": f"{ff}.DenseReluDense.wo.weight",
        "norm1.weight": "0.layer_norm.weight",
        "norm2.weight": f"{ff}.layer_norm.weight",
    }
    if is_gated_act:
        keys["linear1_0.weight"] = f"{ff}.DenseReluDense.wi_0.weight"
        keys["linear1_1.weight"] = f"{ff}.DenseReluDense.wi_1.weight"
    else:
        keys["linear1.weight"] = f"{ff}.DenseReluDense.wi.weight"
    attentions = {"self_attn": "0.SelfAttention"}
    if stack == "decoder":
        keys["norm3.weight"] = "1.layer_norm.weight"
        attentions["cross_attn"] = "1.EncDecAttention"
    for ours, theirs in attentions.items():
        keys[f"{ours}.out_proj.weight"] = f"{theirs}.o.weight"
        for p in "qkv":
            keys[f"{ours}.{p}_proj_weight"] = f"{theirs}.{p}.weight"
    return {f"{stack}.layers.{i}.{k}": f"{stack}.block.{i}.layer.{v}" for k, v in keys.items()}


@dataclass
class T5Bundle:
    """A pretrained T5: its configuration, checkpoint and input transform.

    Example - Pretrained base t5 encoder
        >>> t5_encoder_base = embertext.models.T5_BASE_ENCODER
        >>> transform = t5_encoder_base.transform()
        >>> model = t5_encoder_base.get_model()
        >>> model(transform(["Hello world", "Attention rocks!"]))["encoder_output"].shape
        ember.Size([2, 4, 768])

    Example - Pretrained base t5 model for generation
        >>> t5_base_generation = embertext.models.T5_BASE_GENERATION
        >>> transform = t5_base_generation.transform()
        >>> model = t5_base_generation.get_model(with_generation_utils=True)
        >>> ids = model.generate(transform(["summarize: studies have shown that..."]), max_length=20)
        >>> transform.decode(ids.tolist())

    Example - User-specified configuration and checkpoint
        >>> model_weights_path = "https://download.pytorch.org/models/text/t5.base.encoder.pt"
        >>> encoder_conf = T5Conf(encoder_only=True)
        >>> model = T5Bundle.build_model(config=encoder_conf, checkpoint=model_weights_path)
    """

    _config: T5Conf
    _path: str | None = None
    transform: Callable | None = None

    def get_model(
        self,
        *,
        with_generation_utils=False,
        load_weights=True,
        freeze_model=False,
        dl_kwargs=None,
        gen_kwargs=None,
    ):
        """The model, with the pretrained weights unless ``load_weights`` is False.

        Args:
            with_generation_utils (bool): Indicates whether to wrap model w/
                ``GenerationUtils`` wrapper. (Default: ``False``)
            load_weights (bool): Indicates whether or not to load weights if available.
                (Default: ``True``)
            freeze_model (bool): Indicates whether or not to freeze the model weights.
                (Default: ``False``)
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`. (Default: ``None``)
            gen_kwargs (dictionary of kwargs): Passed to :class:`GenerationUtilsForT5`.
                (Default: ``None``)

        Returns:
            Either a T5Model or a T5Model wrapped with GenerationUtils.

        Raises:
            RuntimeError: the checkpoint cannot be downloaded (no network: the message says
                where to put it).
        """
        if load_weights:
            assert self._path is not None, (
                "load_weights cannot be True. The pre-trained model weights are not available "
                "for the current object"
            )
        if freeze_model and (not load_weights or not self._path):
            logger.warning(
                "The model is not loaded with pre-trained weights. Setting freeze_model to True "
                "will hinder model from learning appropriate weights."
            )
        model = T5Bundle.build_model(
            config=self._config,
            freeze_model=freeze_model,
            checkpoint=self._path if load_weights else None,
            strict=True,
            dl_kwargs=dl_kwargs,
        )
        if with_generation_utils:
            if not load_weights:
                logger.warning(
                    "Model is not loaded with pre-trained weights. Generations will be random."
                )
            return GenerationUtilsForT5(model, **(gen_kwargs or {}))
        return model

    @classmethod
    def build_model(
        cls, config, *, freeze_model=False, checkpoint=None, strict=False, dl_kwargs=None
    ):
        """Class builder method.

        Args:
            config (T5Conf): An instance of class T5Conf that defined the model configuration
            freeze_model (bool): Indicates whether to freeze the model weights.
                (Default: ``False``)
            checkpoint (str or Dict[str, ember.Tensor]): Path to or actual model state_dict.
                state_dict can have partial weights i.e only for encoder. (Default: ``None``)
            strict (bool): Passed to :func:`ember.nn.Module.load_state_dict` method.
                (Default: ``False``)
            dl_kwargs (dictionary of keyword arguments): Passed to
                :func:`ember.hub.load_state_dict_from_url`. (Default: ``None``)
        """
        model = T5Model(config, freeze_model)
        if checkpoint is not None:
            model.load_state_dict(_state_dict(checkpoint, dl_kwargs), strict=strict)
        return model

    @staticmethod
    def build_model_from_huggingface_ckpt(
        ckpt_path, encoder_only=False, *, freeze_model=False, strict=True
    ):
        """Build T5Model model from a HuggingFace checkpoint.

        Only a folder with a whole model saved in the PyTorch format (``config.json`` and
        ``pytorch_model.bin``) works. As in torchtext, the configuration's ``d_kv`` is not
        read (``qkv_dim`` stays 64) and the weights load with ``strict=False`` whatever
        ``strict`` says.

        Args:
            ckpt_path (str, Path): Path to the HF checkpoint folder. Assumes that it is local.
            encoder_only (bool): Build the encoder only. (Default: ``False``)
            freeze_model (bool): Freeze the model upon loading. (Default: ``False``)
            strict (bool): Load model in strict mode. (Default: ``True``)

        Returns:
            T5Model loaded with the weights of the HuggingFace checkpoint provided
        """
        with open(f"{ckpt_path}/config.json") as handle:
            config_json = json.load(handle)
        hf_weights = ember.load(f"{ckpt_path}/pytorch_model.bin")

        config = T5Conf(
            encoder_only=encoder_only,
            linear_head="lm_head.weight" in hf_weights,
            embedding_dim=config_json["d_model"],
            num_attention_heads=config_json["num_heads"],
            num_encoder_layers=config_json["num_layers"],
            num_decoder_layers=config_json["num_decoder_layers"],
            ffn_dimension=config_json["d_ff"],
            feed_forward_proj=config_json.get("feed_forward_proj"),
            vocab_size=config_json["vocab_size"],
        )
        t5_model = T5Model(config, freeze_model)

        bias = "layers.0.self_attn.relative_attention_bias.weight"
        hf_bias = "block.0.layer.0.SelfAttention.relative_attention_bias.weight"
        names = {
            "token_embeddings.weight": "shared.weight",
            "encoder.token_embeddings.weight": "shared.weight",
            "encoder.norm.weight": "encoder.final_layer_norm.weight",
            f"encoder.{bias}": f"encoder.{hf_bias}",
        }
        stacks = [("encoder", config.num_encoder_layers)]
        if not config.encoder_only:
            names["decoder.norm.weight"] = "decoder.final_layer_norm.weight"
            names[f"decoder.{bias}"] = f"decoder.{hf_bias}"
            stacks.append(("decoder", config.num_decoder_layers))
        for stack, num_layers in stacks:
            for i in range(num_layers):
                names.update(_hf_layer_keys(stack, i, config.is_gated_act))
        if config.linear_head:
            names["lm_head.weight"] = "lm_head.weight"

        t5_model.load_state_dict({k: hf_weights[v] for k, v in names.items()}, strict=False)
        return t5_model

    @property
    def config(self):
        return self._config


_T5_LICENSE = """
    The T5 model was proposed in `Exploring the Limits of Transfer Learning with a Unified
    Text-to-Text Transformer <http://jmlr.org/papers/v21/20-074.html>`. It introduces a unified
    framework that converts text-based language problems, such as translation,
    question-answering, and summarization, into a text-to-text format. The Colossal Clean
    Crawled Corpus (C4) dataset is used to pre-train the model on a masked language modeling
    task, and various datasets are used to fine-tune the model on each downstream task. The
    model's architecture is a modified version of the canonical Transformer architecture.

    Originally published by the authors of T5 under Apache License, Version 2.0
    and redistributed with the same license.
    [`License <https://github.com/google-research/text-to-text-transfer-transformer/blob/main/LICENSE>`__,
    `Source <https://github.com/google-research/text-to-text-transfer-transformer#released-model-checkpoints>`__]

    Please refer to :func:`embertext.models.T5Bundle` for the usage.
"""

_FLAN_LICENSE = """
    From the Flan-T5 paper entitled `Scaling Instruction-Finetuned Language Models
    <https://arxiv.org/pdf/2210.11416.pdf>`: instruction finetuning (over 1.8K tasks, with
    chain-of-thought data) improves model performance and generalization to unseen tasks.

    Originally published by Google under Apache License, Version 2.0 and redistributed with the
    same license.
    [`License <https://github.com/google-research/t5x/blob/main/LICENSE>`__,
    `Source <https://console.cloud.google.com/storage/browser/t5-data/pretrained_models/t5x>`__]

    Please refer to :func:`embertext.models.T5Bundle` for the usage.
"""

_DOCS = {
    "ENCODER": "\n    {name} is an encoder-only model from a pre-trained {family} model with the "
    "{size} configuration.\n    It returns the normalized output from the final layer of the "
    "encoder.\n",
    "": "\n    {name} is an encoder-decoder model from a pre-trained {family} model with the "
    "{size} configuration.\n    It returns the normalized output from the final layer of the "
    "decoder.\n",
    "GENERATION": "\n    {name} is an encoder-decoder model with a language modeling head from "
    "a pre-trained {family} model with the {size} configuration.\n    It returns the output of "
    "the final layer of the decoder projected onto the model vocabulary (logits), for language "
    "generation.\n",
}


def t5_transform():
    """The transform of every T5 bundle: T5's SentencePiece model, at most 512 ids with the
    end-of-sequence id 1, padded with 0."""
    return T5Transform(
        urljoin(_TEXT_BUCKET, "t5_tokenizer_base.model"), max_seq_len=512, eos_idx=1, padding_idx=0
    )


def _bundles(prefix, size, file_stem, config):
    """The ``_ENCODER``, plain and ``_GENERATION`` bundles of one model size, by name."""
    family, license_ = ("Flan-T5", _FLAN_LICENSE) if prefix == "FLAN_T5" else ("T5", _T5_LICENSE)
    bundles = {}
    for kind, variant in (("ENCODER", ".encoder"), ("", ""), ("GENERATION", ".generation")):
        name = f"{prefix}_{size}_{kind}".rstrip("_")
        bundle = T5Bundle(
            _path=urljoin(_TEXT_BUCKET, f"{file_stem.format(variant)}.pt"),
            _config=T5Conf(
                encoder_only=kind == "ENCODER", linear_head=kind == "GENERATION", **config
            ),
            transform=t5_transform,
        )
        bundle.__doc__ = _DOCS[kind].format(name=name, family=family, size=size) + license_
        bundles[name] = bundle
    return bundles


_L6 = {"num_encoder_layers": 6, "num_decoder_layers": 6}
_L24 = {"num_encoder_layers": 24, "num_decoder_layers": 24}
_FLAN = {"feed_forward_proj": "gated-gelu"}
# name prefix, size, checkpoint file ("{}": ".encoder", "" or ".generation"), configuration
_SIZES = [
    ("T5", "BASE", "t5.base{}.v2", {}),
    ("T5", "SMALL", "t5.small{}.v2", {"embedding_dim": 512, "num_attention_heads": 8,
                                      "ffn_dimension": 2048, **_L6}),
    ("T5", "LARGE", "t5.large{}.v2", {"embedding_dim": 1024, "num_attention_heads": 16,
                                      "ffn_dimension": 4096, **_L24}),
    ("T5", "3B", "t5.3b{}.v2", {"embedding_dim": 1024, "qkv_dim": 128, "num_attention_heads": 32,
                                "ffn_dimension": 16384, **_L24}),
    ("T5", "11B", "t5.11b{}.v2", {"embedding_dim": 1024, "qkv_dim": 128,
                                  "num_attention_heads": 128, "ffn_dimension": 65536, **_L24}),
    ("FLAN_T5", "BASE", "t5.flan.base{}", {"ffn_dimension": 2048, **_FLAN}),
    ("FLAN_T5", "LARGE", "t5.flan.large{}", {"embedding_dim": 1024, "num_attention_heads": 16,
                                             "ffn_dimension": 2816, **_L24, **_FLAN}),
    ("FLAN_T5", "XL", "t5.flan.xl{}", {"embedding_dim": 2048, "num_attention_heads": 32,
                                       "ffn_dimension": 5120, **_L24, **_FLAN}),
    ("FLAN_T5", "XXL", "t5.flan.xxl{}", {"embedding_dim": 4096, "num_attention_heads": 64,
                                         "ffn_dimension": 10240, **_L24, **_FLAN}),
]  # fmt: skip
_ALL = {name: bundle for size in _SIZES for name, bundle in _bundles(*size).items()}

T5_BASE_ENCODER = _ALL["T5_BASE_ENCODER"]
T5_BASE = _ALL["T5_BASE"]
T5_BASE_GENERATION = _ALL["T5_BASE_GENERATION"]
T5_SMALL_ENCODER = _ALL["T5_SMALL_ENCODER"]
T5_SMALL = _ALL["T5_SMALL"]
T5_SMALL_GENERATION = _ALL["T5_SMALL_GENERATION"]
T5_LARGE_ENCODER = _ALL["T5_LARGE_ENCODER"]
T5_LARGE = _ALL["T5_LARGE"]
T5_LARGE_GENERATION = _ALL["T5_LARGE_GENERATION"]
T5_3B_ENCODER = _ALL["T5_3B_ENCODER"]
T5_3B = _ALL["T5_3B"]
T5_3B_GENERATION = _ALL["T5_3B_GENERATION"]
T5_11B_ENCODER = _ALL["T5_11B_ENCODER"]
T5_11B = _ALL["T5_11B"]
T5_11B_GENERATION = _ALL["T5_11B_GENERATION"]
FLAN_T5_BASE_ENCODER = _ALL["FLAN_T5_BASE_ENCODER"]
FLAN_T5_BASE = _ALL["FLAN_T5_BASE"]
FLAN_T5_BASE_GENERATION = _ALL["FLAN_T5_BASE_GENERATION"]
FLAN_T5_LARGE_ENCODER = _ALL["FLAN_T5_LARGE_ENCODER"]
FLAN_T5_LARGE = _ALL["FLAN_T5_LARGE"]
FLAN_T5_LARGE_GENERATION = _ALL["FLAN_T5_LARGE_GENERATION"]
FLAN_T5_XL_ENCODER = _ALL["FLAN_T5_XL_ENCODER"]
FLAN_T5_XL = _ALL["FLAN_T5_XL"]
FLAN_T5_XL_GENERATION = _ALL["FLAN_T5_XL_GENERATION"]
FLAN_T5_XXL_ENCODER = _ALL["FLAN_T5_XXL_ENCODER"]
FLAN_T5_XXL = _ALL["FLAN_T5_XXL"]
FLAN_T5_XXL_GENERATION = _ALL["FLAN_T5_XXL_GENERATION"]
