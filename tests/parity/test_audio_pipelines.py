"""Parity of emberaudio.pipelines with torchaudio 2.11's pipelines: the same bundle names, classes,
checkpoint paths, architecture parameters, sample rates, labels and processors; and, from one
``torch.save`` checkpoint in a shared hub cache, the same model outputs in both libraries
(tiny bundles of the same classes, so that nothing large is built or downloaded)."""

import dataclasses
import json

import numpy as np
import pytest

import ember
import emberaudio.pipelines as EP

torchaudio = pytest.importorskip("torchaudio")
import torch  # noqa: E402
import torchaudio.pipelines as TP  # noqa: E402

WAV2VEC2 = [n for n in TP.__all__ if isinstance(getattr(TP, n), TP.Wav2Vec2Bundle)]
DATACLASS_BUNDLES = [
    n for n in TP.__all__ if dataclasses.is_dataclass(getattr(TP, n)) and n.isupper()
]


def test_same_names():
    assert EP.__all__ == TP.__all__


def _fields(bundle):
    """A bundle's fields, with a model factory (a partial) as (model name, keywords)."""
    values = {}
    for field in dataclasses.fields(bundle):
        value = getattr(bundle, field.name)
        if field.name.endswith("factory_func"):
            name = (
                value.func.__name__
                if value.func.__module__.startswith("torchaudio")
                else value.args[0]
            )
            value = (name, value.keywords)
        values[field.name] = value
    return values


@pytest.mark.parametrize("name", DATACLASS_BUNDLES)
def test_same_bundle_fields(name):
    e, t = getattr(EP, name), getattr(TP, name)
    assert type(e).__name__ == type(t).__name__
    assert _fields(e) == _fields(t)
    if hasattr(t, "sample_rate"):
        assert e.sample_rate == t.sample_rate
    for attribute in ["n_fft", "n_mels", "hop_length", "segment_length", "right_context_length"]:
        if hasattr(t, attribute):
            assert getattr(e, attribute) == getattr(t, attribute)


@pytest.mark.parametrize("name", [n for n in WAV2VEC2 if hasattr(getattr(TP, n), "get_labels")])
def test_same_labels(name):
    e, t = getattr(EP, name), getattr(TP, name)
    assert e.get_labels() == t.get_labels()
    assert e.get_labels(blank="<b>") == t.get_labels(blank="<b>")
    if name == "MMS_FA":
        assert e.get_labels(star=None) == t.get_labels(star=None)
        assert e.get_dict() == t.get_dict() and e.get_dict(star="#") == t.get_dict(star="#")
        tokens = e.get_tokenizer()(["hello", "world"])
        assert tokens == t.get_tokenizer()(["hello", "world"])


def test_character_text_processor():
    e = EP.TACOTRON2_WAVERNN_CHAR_LJSPEECH.get_text_processor()
    t = TP.TACOTRON2_WAVERNN_CHAR_LJSPEECH.get_text_processor()
    assert e.tokens == t.tokens
    texts = ["Hello World!", "T T S stands for (Text) to-speech; ok?", "é~"]
    for (ev, el), (tv, tl) in [(e(texts), t(texts)), (e("One"), t("One"))]:
        assert ev.tolist() == tv.tolist() and str(ev.dtype)[6:] == str(tv.dtype)[6:]
        assert el.tolist() == tl.tolist() and str(el.dtype)[6:] == str(tl.dtype)[6:]


def test_phone_tokens_count_matches_the_bundle():
    n_symbol = EP.TACOTRON2_WAVERNN_PHONE_LJSPEECH._tacotron2_params["n_symbol"]
    from torchaudio.pipelines._tts import utils

    assert n_symbol == len(utils._get_phones())


# ------------------------------------------------------------------------- models from checkpoints

TINY = {
    "extractor_mode": "layer_norm",
    "extractor_conv_layer_config": [(8, 10, 5), (8, 3, 2)],
    "extractor_conv_bias": True,
    "encoder_embed_dim": 16,
    "encoder_projection_dropout": 0.0,
    "encoder_pos_conv_kernel": 4,
    "encoder_pos_conv_groups": 2,
    "encoder_num_layers": 2,
    "encoder_num_heads": 2,
    "encoder_attention_dropout": 0.0,
    "encoder_ff_interm_features": 32,
    "encoder_ff_interm_dropout": 0.0,
    "encoder_dropout": 0.0,
    "encoder_layer_norm_first": True,
    "encoder_layer_drop": 0.0,
    "aux_num_out": None,
}


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    """One hub cache for both libraries."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path))
    monkeypatch.setattr(ember.hub, "_hub_dir", str(tmp_path))
    return tmp_path


def _outputs(model, x, fw):
    with fw.no_grad():
        out, _ = model(fw.from_numpy(x.copy()))
        features, _ = model.extract_features(fw.from_numpy(x.copy()))
    return [out.numpy(), *(f.numpy() for f in features)]


@pytest.mark.parametrize("kind", ["Wav2Vec2Bundle", "Wav2Vec2ASRBundle", "Wav2Vec2FABundle"])
@pytest.mark.parametrize("normalize", [False, True])
def test_same_model_from_one_checkpoint(hub_dir, kind, normalize):
    torch.manual_seed(0)
    asr = kind != "Wav2Vec2Bundle"
    checkpoint = torchaudio.models.wav2vec2_model(**{**TINY, "aux_num_out": 8 if asr else None})
    (hub_dir / "checkpoints").mkdir()
    torch.save(checkpoint.state_dict(), hub_dir / "checkpoints" / "tiny.pth")

    fields = {"_labels": tuple("|abc")} if asr else {}
    params = {**TINY, "aux_num_out": 5 if asr else None}
    x = np.random.default_rng(0).standard_normal((1, 400)).astype(np.float32) * 2 + 0.5
    results = []
    for module, fw in [(EP, ember), (TP, torch)]:
        bundle = getattr(module, kind)("tiny.pth", params, 16000, normalize, "Wav2Vec2", **fields)
        model = bundle.get_model()
        assert not model.training
        results.append(_outputs(model, x, fw))
    for e, t in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5)


def test_rnnt_feature_extractors(hub_dir):
    assets = hub_dir / "torchaudio" / "pipeline-assets"
    assets.mkdir(parents=True)
    stats = {"mean": np.linspace(-1, 1, 80).tolist(), "invstddev": np.linspace(0.5, 2, 80).tolist()}
    (assets / "global_stats_rnnt_librispeech.json").write_text(json.dumps(stats))
    x = np.random.default_rng(0).uniform(-0.2, 0.2, 3200).astype(np.float32)
    for getter in ["get_feature_extractor", "get_streaming_feature_extractor"]:
        e_features, e_length = getattr(EP.EMFORMER_RNNT_BASE_LIBRISPEECH, getter)()(
            ember.from_numpy(x)
        )
        with torch.no_grad():
            t_features, t_length = getattr(TP.EMFORMER_RNNT_BASE_LIBRISPEECH, getter)()(
                torch.from_numpy(x)
            )
        assert e_length.tolist() == t_length.tolist()
        np.testing.assert_allclose(e_features.numpy(), t_features.numpy(), rtol=1e-4, atol=1e-4)


def test_source_separation_model_from_asset(hub_dir):
    torch.manual_seed(0)
    reference = torchaudio.models.conv_tasnet_base(num_sources=2)
    (hub_dir / "torchaudio" / "models").mkdir(parents=True)
    torch.save(
        reference.state_dict(), hub_dir / "torchaudio" / "models" / "conv_tasnet_base_libri2mix.pt"
    )
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 1, 800)).astype(np.float32)
    with ember.no_grad():
        e = EP.CONVTASNET_BASE_LIBRI2MIX.get_model()(ember.from_numpy(x)).numpy()
    with torch.no_grad():
        t = TP.CONVTASNET_BASE_LIBRI2MIX.get_model()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5)
