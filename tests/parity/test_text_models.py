"""Parity of embertext.models with torchtext 0.18's models: the same weights must give the
same outputs.

torchtext's RoBERTa encoder is built from torch.nn layers (token and learned position
embeddings, a layer norm, ``nn.TransformerEncoder`` with GELU, batch first): the RoBERTa check
assembles the same layers in torch, so it runs wherever torch does. The T5 checks compare with
torchtext itself and are skipped where torchtext is not installed (it pins torch 2.3).
"""

import numpy as np
import pytest
import torch

import ember
from embertext import models

_TOKENS = np.array([[0, 5, 9, 13, 2, 1, 1], [0, 7, 8, 4, 11, 3, 2]])


def _torch_roberta_encoder(state, conf):
    """torchtext's RobertaEncoder (``encoder.transformer``), assembled from torch.nn layers and
    loaded with ``state`` (numpy arrays under embertext's, hence torchtext's, names)."""
    t = torch.nn.Module()
    t.token_embedding = torch.nn.Embedding(conf.vocab_size, conf.embedding_dim, conf.padding_idx)
    layer = torch.nn.TransformerEncoderLayer(
        conf.embedding_dim,
        conf.num_attention_heads,
        conf.ffn_dimension,
        dropout=0.0,
        activation="gelu",
        batch_first=True,
        norm_first=conf.normalize_before,
    )
    t.layers = torch.nn.TransformerEncoder(
        layer, conf.num_encoder_layers, enable_nested_tensor=False, mask_check=False
    )
    t.positional_embedding = torch.nn.Module()
    t.positional_embedding.embedding = torch.nn.Embedding(
        conf.max_seq_len, conf.embedding_dim, conf.padding_idx
    )
    t.embedding_layer_norm = torch.nn.LayerNorm(conf.embedding_dim)
    prefix = "encoder.transformer."
    t.load_state_dict({k[len(prefix) :]: torch.from_numpy(v) for k, v in state.items()})

    def forward(tokens):
        pad = tokens.eq(conf.padding_idx)
        positions = torch.cumsum((~pad).long(), dim=1) * (~pad).long() + conf.padding_idx
        x = t.token_embedding(tokens) + t.positional_embedding.embedding(positions)
        if not conf.normalize_before:
            x = t.embedding_layer_norm(x)
        x = t.layers(x, src_key_padding_mask=pad)
        return t.embedding_layer_norm(x) if conf.normalize_before else x

    return t, forward


@pytest.mark.parametrize("normalize_before", [False, True])
def test_roberta_encoder_matches_torch(normalize_before):
    conf = models.RobertaEncoderConf(
        vocab_size=50, embedding_dim=16, ffn_dimension=24, max_seq_len=20,
        num_attention_heads=4, num_encoder_layers=2, dropout=0.0,
        normalize_before=normalize_before,
    )  # fmt: skip
    model = models.RobertaModel(conf).eval()
    rng = np.random.default_rng(0)
    state = {
        k: (v.numpy() + 0.1 * rng.standard_normal(v.shape)).astype(np.float32)
        for k, v in model.state_dict().items()
    }
    model.load_state_dict({k: ember.from_numpy(v) for k, v in state.items()})
    reference, forward = _torch_roberta_encoder(state, conf)
    reference.eval()

    out = model(ember.from_numpy(_TOKENS))
    expected = forward(torch.from_numpy(_TOKENS))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=2e-5)

    seed = rng.standard_normal(expected.shape).astype(np.float32)
    (out * ember.from_numpy(seed)).sum().backward()
    (expected * torch.from_numpy(seed)).sum().backward()
    grads = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        torch_grad = grads[name[len("encoder.transformer.") :]].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), torch_grad, atol=2e-5, err_msg=name)


@pytest.fixture
def torchtext_models():
    """torchtext.models (skipped without torchtext)."""
    torchtext = pytest.importorskip("torchtext")
    torchtext.disable_torchtext_deprecation_warning()
    import torchtext.models

    return torchtext.models


_ENC = np.array([[5, 6, 7, 8, 1], [9, 10, 1, 0, 0]])
_DEC = np.array([[0, 3, 4, 5], [0, 11, 12, 0]])
_TINY_T5 = {
    "linear_head": True, "embedding_dim": 16, "qkv_dim": 3, "num_attention_heads": 4,
    "num_encoder_layers": 2, "num_decoder_layers": 2, "ffn_dimension": 20, "vocab_size": 30,
    "relative_attention_num_buckets": 8, "relative_attention_max_distance": 20,
}  # fmt: skip


def _pair(torchtext_models, **config):
    reference = torchtext_models.T5Model(torchtext_models.T5Conf(**config)).eval()
    rng = np.random.default_rng(1)
    state = {
        k: (0.3 * rng.standard_normal(tuple(v.shape)) + ("norm" in k)).astype(np.float32)
        for k, v in reference.state_dict().items()
    }
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    model = models.T5Model(models.T5Conf(**config)).eval()
    model.load_state_dict({k: ember.from_numpy(v) for k, v in state.items()})
    return model, reference


def _flat(values):
    """The tensors of a list of tensors or of tuples of them (the past keys and values)."""
    for v in values:
        yield from v if isinstance(v, tuple) else (v,)


@pytest.mark.parametrize("feed_forward_proj", [None, "gated-gelu"])
def test_t5_matches_torchtext(torchtext_models, feed_forward_proj):
    model, reference = _pair(torchtext_models, **_TINY_T5, feed_forward_proj=feed_forward_proj)
    out = model(
        encoder_tokens=ember.from_numpy(_ENC),
        decoder_tokens=ember.from_numpy(_DEC),
        return_past_key_values=True,
    )
    expected = reference(
        encoder_tokens=torch.from_numpy(_ENC),
        decoder_tokens=torch.from_numpy(_DEC),
        return_past_key_values=True,
    )
    assert out.keys() == expected.keys()
    for key in ("encoder_output", "decoder_output", "encoder_position_bias"):
        np.testing.assert_allclose(
            out[key].detach().numpy(), expected[key].detach().numpy(), atol=2e-5, err_msg=key
        )
    for key in ("decoder_sa_scores", "decoder_ca_scores", "past_key_values"):
        pairs = zip(_flat(out[key]), _flat(expected[key]), strict=True)
        for i, (e, t) in enumerate(pairs):
            np.testing.assert_allclose(
                e.detach().numpy(), t.detach().numpy(), atol=2e-5, err_msg=f"{key}[{i}]"
            )


def test_t5_greedy_generation_matches_torchtext(torchtext_models):
    model, reference = _pair(torchtext_models, **_TINY_T5)
    generator = models.t5.bundler.GenerationUtilsForT5(model)
    out = generator.generate(ember.from_numpy(_ENC), max_length=6)
    reference_generator = torchtext_models.t5.bundler.GenerationUtilsForT5(reference)
    expected = reference_generator.generate(torch.from_numpy(_ENC), max_length=6)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
