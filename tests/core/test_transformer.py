"""nn.TransformerEncoderLayer / DecoderLayer / Encoder / Decoder / Transformer: outputs against
numpy references (eval mode, so dropout is off), torch's state-dict keys, masks, activations,
deep copies and gradients."""

import copy
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.testing import assert_close

rng = np.random.default_rng(0)

D, H, FF = 8, 2, 12  # d_model, nhead, dim_feedforward


# ------------------------------------------------------------------------ numpy references


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _relu(x):
    return np.maximum(x, 0)


def _layer_norm(x, w, b, eps=1e-5):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * w + b


def _attention(q, kv, sd, prefix, mask=None, padding=None):
    """Multi-head attention on (len, N, E) inputs with the packed weights ``sd[prefix...]``;
    masks are boolean with True = masked out."""
    w = np.split(sd[prefix + "in_proj_weight"], 3)
    b = np.split(sd[prefix + "in_proj_bias"], 3)
    d = D // H

    def split(x):  # (len, N, E) -> (N, H, len, d)
        return x.reshape(x.shape[0], x.shape[1], H, d).transpose(1, 2, 0, 3)

    Q, K, V = (split(x @ wi.T + bi) for x, wi, bi in zip((q, kv, kv), w, b))
    s = Q @ np.swapaxes(K, -1, -2) / math.sqrt(d)
    if mask is not None:
        s = np.where(mask, -np.inf, s)
    if padding is not None:
        s = np.where(padding[:, None, None, :], -np.inf, s)
    out = (_softmax(s) @ V).transpose(2, 0, 1, 3).reshape(q.shape)
    return out @ sd[prefix + "out_proj.weight"].T + sd[prefix + "out_proj.bias"]


def _ff(x, sd, p, act):
    h = act(x @ sd[p + "linear1.weight"].T + sd[p + "linear1.bias"])
    return h @ sd[p + "linear2.weight"].T + sd[p + "linear2.bias"]


def _norm(x, sd, name):
    return _layer_norm(x, sd[name + ".weight"], sd[name + ".bias"])


def _encoder_layer_ref(x, sd, norm_first, p="", mask=None, padding=None, act=_relu):
    def sa(y):
        return _attention(y, y, sd, p + "self_attn.", mask, padding)

    if norm_first:
        x = x + sa(_norm(x, sd, p + "norm1"))
        return x + _ff(_norm(x, sd, p + "norm2"), sd, p, act)
    x = _norm(x + sa(x), sd, p + "norm1")
    return _norm(x + _ff(x, sd, p, act), sd, p + "norm2")


def _decoder_layer_ref(x, mem, sd, norm_first, p="", tgt_mask=None, mem_padding=None):
    def sa(y):
        return _attention(y, y, sd, p + "self_attn.", tgt_mask)

    def ca(y):
        return _attention(y, mem, sd, p + "multihead_attn.", None, mem_padding)

    if norm_first:
        x = x + sa(_norm(x, sd, p + "norm1"))
        x = x + ca(_norm(x, sd, p + "norm2"))
        return x + _ff(_norm(x, sd, p + "norm3"), sd, p, _relu)
    x = _norm(x + sa(x), sd, p + "norm1")
    x = _norm(x + ca(x), sd, p + "norm2")
    return _norm(x + _ff(x, sd, p, _relu), sd, p + "norm3")


# --------------------------------------------------------------------------------- helpers


def _randomised(module, device="cpu"):
    """``module`` in float64 and eval mode, every parameter random (the layer norms and
    biases start as ones and zeros, which would hide mistakes)."""
    module = module.to(device=device, dtype=ember.float64).eval()
    with ember.no_grad():
        for p in module.parameters():
            p.copy_(ember.tensor(rng.standard_normal(p.shape), device=device))
    return module


def _state(module):
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def _causal(n):
    return np.triu(np.ones((n, n), bool), 1)  # True above the diagonal = the future


def _padding(N, S):
    mask = rng.random((N, S)) < 0.3
    mask[:, 0] = False  # keep one key per sequence
    return mask


def _t(x, device="cpu", batch_first=False):
    if batch_first and x.ndim == 3:
        x = x.transpose(1, 0, 2)
    return ember.tensor(x, device=device)


# ---------------------------------------------------------------------------------- layers


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_reference(norm_first, batch_first, device):
    S, N = 5, 3
    layer = nn.TransformerEncoderLayer(
        D, H, FF, dropout=0.1, norm_first=norm_first, batch_first=batch_first
    )
    layer = _randomised(layer, device)
    sd = _state(layer)
    x = rng.standard_normal((S, N, D))
    padding = _padding(N, S)
    expected = _encoder_layer_ref(x, sd, norm_first, mask=_causal(S), padding=padding)
    out = layer(
        _t(x, device, batch_first),
        src_mask=_t(_causal(S), device),
        src_key_padding_mask=_t(padding, device),
    )
    assert_close(out, expected.transpose(1, 0, 2) if batch_first else expected)
    # without masks, and unbatched
    expected = _encoder_layer_ref(x, sd, norm_first)
    out = layer(_t(x, device, batch_first))
    assert_close(out, expected.transpose(1, 0, 2) if batch_first else expected)
    assert_close(layer(_t(x[:, 0], device)), _encoder_layer_ref(x[:, :1], sd, norm_first)[:, 0])


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_reference(norm_first, device):
    T, S, N = 4, 5, 2
    layer = _randomised(nn.TransformerDecoderLayer(D, H, FF, norm_first=norm_first), device)
    sd = _state(layer)
    tgt, mem = rng.standard_normal((T, N, D)), rng.standard_normal((S, N, D))
    padding = _padding(N, S)
    expected = _decoder_layer_ref(
        tgt, mem, sd, norm_first, tgt_mask=_causal(T), mem_padding=padding
    )
    out = layer(
        _t(tgt, device),
        _t(mem, device),
        tgt_mask=_t(_causal(T), device),
        memory_key_padding_mask=_t(padding, device),
    )
    assert_close(out, expected)


def test_activation_by_name_or_callable():
    x = rng.standard_normal((3, 2, D))
    for activation, act in (
        ("relu", _relu),
        (ember.tanh, np.tanh),
        (nn.functional.relu, _relu),
    ):
        layer = _randomised(nn.TransformerEncoderLayer(D, H, FF, activation=activation))
        assert_close(layer(_t(x)), _encoder_layer_ref(x, _state(layer), False, act=act))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(D, H, FF, activation="tanh")


def test_gelu_activation():
    from math import erf

    gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / math.sqrt(2))))
    x = rng.standard_normal((3, 2, D))
    for activation in ("gelu", nn.GELU()):
        layer = _randomised(nn.TransformerEncoderLayer(D, H, FF, activation=activation))
        assert_close(layer(_t(x)), _encoder_layer_ref(x, _state(layer), False, act=gelu))
    # a module activation is a child, registered last as in torch
    assert [name for name, _ in layer.named_children()] == [
        "self_attn",
        "linear1",
        "dropout",
        "linear2",
        "norm1",
        "norm2",
        "dropout1",
        "dropout2",
        "activation",
    ]


# -------------------------------------------------------------------------------- stacks


def _encoder_layer_keys(p):
    attn = [
        f"{p}self_attn.{n}"
        for n in ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
    ]
    rest = [
        f"{p}{m}.{n}" for m in ("linear1", "linear2", "norm1", "norm2") for n in ("weight", "bias")
    ]
    return attn + rest


def _decoder_layer_keys(p):
    attn = [
        f"{p}{a}.{n}"
        for a in ("self_attn", "multihead_attn")
        for n in ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
    ]
    rest = [
        f"{p}{m}.{n}"
        for m in ("linear1", "linear2", "norm1", "norm2", "norm3")
        for n in ("weight", "bias")
    ]
    return attn + rest


def test_encoder_stack_copies_layers_and_matches_reference():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    encoder = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(D))
    assert isinstance(encoder.layers, nn.ModuleList) and len(encoder.layers) == 2
    # deep copies: equal values, separate parameters (and not the original's)
    a, b = encoder.layers
    assert a.self_attn.in_proj_weight is not b.self_attn.in_proj_weight
    assert a.linear1.weight is not layer.linear1.weight
    assert_close(a.self_attn.in_proj_weight, layer.self_attn.in_proj_weight)
    assert list(encoder.state_dict()) == [
        *_encoder_layer_keys("layers.0."),
        *_encoder_layer_keys("layers.1."),
        "norm.weight",
        "norm.bias",
    ]
    encoder = _randomised(encoder)
    sd = _state(encoder)
    x = rng.standard_normal((4, 2, D))
    y = _encoder_layer_ref(x, sd, False, "layers.0.", mask=_causal(4))
    y = _norm(_encoder_layer_ref(y, sd, False, "layers.1.", mask=_causal(4)), sd, "norm")
    # the float causal mask is detected as causal; bool and float masks agree
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64)
    assert_close(encoder(_t(x), mask=causal), y)
    assert_close(encoder(_t(x), mask=_t(_causal(4)), is_causal=False), y)


def test_transformer_state_dict_and_init():
    model = nn.Transformer(D, H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF)
    assert list(model.state_dict()) == [
        *_encoder_layer_keys("encoder.layers.0."),
        *_encoder_layer_keys("encoder.layers.1."),
        "encoder.norm.weight",
        "encoder.norm.bias",
        *_decoder_layer_keys("decoder.layers.0."),
        "decoder.norm.weight",
        "decoder.norm.bias",
    ]
    sd = model.state_dict()
    assert sd["encoder.layers.0.self_attn.in_proj_weight"].shape == (3 * D, D)
    assert sd["decoder.layers.0.linear1.weight"].shape == (FF, D)
    # xavier_uniform_ on every matrix (the layers are no longer copies of one another);
    # vectors keep their own init
    w0 = sd["encoder.layers.0.linear1.weight"].numpy()
    assert np.abs(w0).max() <= math.sqrt(6 / (D + FF))
    assert not np.allclose(w0, sd["encoder.layers.1.linear1.weight"].numpy())
    assert (sd["decoder.norm.weight"].numpy() == 1).all()
    assert not sd["encoder.layers.0.self_attn.in_proj_bias"].numpy().any()
    assert model.d_model == D and model.nhead == H and not model.batch_first

    no_bias = nn.Transformer(D, H, 1, 1, FF, bias=False)
    assert not [k for k in no_bias.state_dict() if k.endswith("bias")]


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_reference(batch_first):
    S, T, N = 5, 4, 2
    model = nn.Transformer(D, H, 1, 1, FF, batch_first=batch_first, norm_first=True)
    model = _randomised(model)
    sd = _state(model)
    src, tgt = rng.standard_normal((S, N, D)), rng.standard_normal((T, N, D))
    padding = _padding(N, S)
    memory = _encoder_layer_ref(src, sd, True, "encoder.layers.0.", padding=padding)
    memory = _norm(memory, sd, "encoder.norm")
    out = _decoder_layer_ref(tgt, memory, sd, True, "decoder.layers.0.", _causal(T), padding)
    expected = _norm(out, sd, "decoder.norm")
    tgt_mask = model.generate_square_subsequent_mask(T, dtype=ember.float64)
    actual = model(
        _t(src, batch_first=batch_first),
        _t(tgt, batch_first=batch_first),
        tgt_mask=tgt_mask,
        src_key_padding_mask=_t(padding),
        memory_key_padding_mask=_t(padding),
    )
    assert_close(actual, expected.transpose(1, 0, 2) if batch_first else expected)


def test_transformer_backward_reaches_every_parameter():
    model = nn.Transformer(D, H, 1, 1, FF, dropout=0.0)
    src, tgt = ember.randn(5, 2, D), ember.randn(3, 2, D)
    model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(3)).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


def test_transformer_errors():
    model = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(5, 2, D), ember.randn(3, 3, D))
    with pytest.raises(
        RuntimeError, match="feature number of src and tgt must be equal to d_model"
    ):
        model(ember.randn(5, 2, D), ember.randn(3, 2, D + 1))


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == ember.float32 and mask.device.type == "cpu"
    expected = np.where(np.triu(np.ones((4, 4), bool), 1), -np.inf, 0.0).astype(np.float32)
    np.testing.assert_array_equal(mask.numpy(), expected)
    assert (
        nn.Transformer.generate_square_subsequent_mask(2, dtype=ember.float64).dtype
        == ember.float64
    )


def test_deepcopy_of_layers():
    layer = nn.TransformerDecoderLayer(D, H, FF)
    clone = copy.deepcopy(layer)
    assert clone.multihead_attn.out_proj.weight is not layer.multihead_attn.out_proj.weight
    with ember.no_grad():
        clone.linear1.weight.zero_()
    assert layer.linear1.weight.abs().sum().item() > 0
    assert list(clone.state_dict()) == list(layer.state_dict())
