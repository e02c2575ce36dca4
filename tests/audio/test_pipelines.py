"""emberaudio.pipelines: the bundles' metadata (torchaudio 2.11's values, written out here),
models built from checkpoints placed in the hub's cache (tiny bundles of the same classes),
the processors and feature extractors, and offline fail-fast (no test touches the network)."""

import importlib.util
import json
import math
import time

import numpy as np
import pytest

import ember
import emberaudio
import emberaudio.pipelines as P
from emberaudio.models import Wav2Vec2Model
from emberaudio.pipelines import _rnnt, _wav2vec2

EN_LABELS = ("|", "E", "T", "A", "O", "N", "I", "H", "S", "R", "D", "L", "U", "M", "W", "C",
             "F", "G", "Y", "P", "B", "V", "K", "'", "X", "J", "Q", "Z")  # fmt: skip
MMS_LABELS = ("a", "i", "e", "n", "o", "u", "t", "s", "r", "m", "k", "l", "d", "g", "h", "y",
              "b", "p", "w", "c", "v", "j", "z", "f", "'", "q", "x")  # fmt: skip
BASE_CONV = [(512, 10, 5), (512, 3, 2), (512, 3, 2), (512, 3, 2), (512, 3, 2), (512, 2, 2),
             (512, 2, 2)]  # fmt: skip

WAV2VEC2_BUNDLES = [n for n in P.__all__ if isinstance(getattr(P, n), P.Wav2Vec2Bundle)]
ASR_BUNDLES = [n for n in WAV2VEC2_BUNDLES if isinstance(getattr(P, n), P.Wav2Vec2ASRBundle)]


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    """An empty hub cache (ember.hub.get_dir()) for the test."""
    monkeypatch.setattr(ember.hub, "_hub_dir", str(tmp_path / "hub"))
    return tmp_path / "hub"


# ----------------------------------------------------------------------------------- metadata


def test_all_bundles_are_exported():
    assert len(P.__all__) == 48 and len(WAV2VEC2_BUNDLES) == 30 and len(ASR_BUNDLES) == 17
    for name in P.__all__:
        assert getattr(P, name) is not None


def test_wav2vec2_asr_base_960h():
    bundle = P.WAV2VEC2_ASR_BASE_960H
    assert type(bundle) is P.Wav2Vec2ASRBundle
    assert bundle._path == "wav2vec2_fairseq_base_ls960_asr_ls960.pth"
    assert bundle.sample_rate == 16000 and bundle._normalize_waveform is False
    assert bundle._model_type == "Wav2Vec2" and bundle._remove_aux_axis == (1, 2, 3)
    assert bundle._params == {
        "extractor_mode": "group_norm",
        "extractor_conv_layer_config": BASE_CONV,
        "extractor_conv_bias": False,
        "encoder_embed_dim": 768,
        "encoder_projection_dropout": 0.1,
        "encoder_pos_conv_kernel": 128,
        "encoder_pos_conv_groups": 16,
        "encoder_num_layers": 12,
        "encoder_num_heads": 12,
        "encoder_attention_dropout": 0.1,
        "encoder_ff_interm_features": 3072,
        "encoder_ff_interm_dropout": 0.0,
        "encoder_dropout": 0.1,
        "encoder_layer_norm_first": False,
        "encoder_layer_drop": 0.05,
        "aux_num_out": 29,
    }
    assert bundle.get_labels() == ("-", *EN_LABELS)
    assert bundle.get_labels(blank="<b>")[:3] == ("<b>", "|", "E")


def test_large_bundles_params():
    large = {
        "extractor_mode": "layer_norm",
        "extractor_conv_layer_config": BASE_CONV,
        "extractor_conv_bias": False,
        "encoder_embed_dim": 1024,
        "encoder_projection_dropout": 0.0,
        "encoder_pos_conv_kernel": 128,
        "encoder_pos_conv_groups": 16,
        "encoder_num_layers": 24,
        "encoder_num_heads": 16,
        "encoder_attention_dropout": 0.0,
        "encoder_ff_interm_features": 4096,
        "encoder_ff_interm_dropout": 0.1,
        "encoder_dropout": 0.0,
        "encoder_layer_norm_first": True,
        "encoder_layer_drop": 0.1,
        "aux_num_out": 29,
    }
    assert P.HUBERT_ASR_LARGE._params == large
    assert P.HUBERT_ASR_LARGE._path == "hubert_fairseq_large_ll60k_asr_ls960.pth"
    assert P.MMS_FA._params == {**large, "extractor_conv_bias": True, "aux_num_out": 28}
    assert P.MMS_FA._path == (
        "https://dl.fbaipublicfiles.com/mms/torchaudio/ctc_alignment_mling_uroman/model.pt"
    )
    xlsr_2b = P.WAV2VEC2_XLSR_2B._params
    assert (xlsr_2b["encoder_embed_dim"], xlsr_2b["encoder_num_layers"]) == (1920, 48)
    assert (xlsr_2b["encoder_ff_interm_features"], xlsr_2b["encoder_projection_dropout"]) == (
        7680,
        0.1,
    )
    assert P.WAV2VEC2_XLSR53._params["encoder_projection_dropout"] == 0.0
    assert P.WAV2VEC2_LARGE._params["encoder_layer_drop"] == 0.2
    wavlm = P.WAVLM_BASE._params
    assert P.WAVLM_BASE._model_type == "WavLM" and P.WAVLM_BASE._path == "wavlm_base.pth"
    assert (wavlm["encoder_max_distance"], wavlm["encoder_num_buckets"]) == (800, 320)
    assert P.WAVLM_LARGE._params["encoder_dropout"] == 0.1 and P.WAVLM_LARGE._normalize_waveform


def test_normalize_waveform_and_aux_axes():
    normalized = {n for n in WAV2VEC2_BUNDLES if getattr(P, n)._normalize_waveform}
    assert normalized == {
        "WAV2VEC2_LARGE_LV60K", "WAV2VEC2_ASR_LARGE_LV60K_10M", "WAV2VEC2_ASR_LARGE_LV60K_100H",
        "WAV2VEC2_ASR_LARGE_LV60K_960H", "WAV2VEC2_XLSR53", "WAV2VEC2_XLSR_300M",
        "WAV2VEC2_XLSR_1B", "WAV2VEC2_XLSR_2B", "HUBERT_LARGE", "HUBERT_XLARGE",
        "HUBERT_ASR_LARGE", "HUBERT_ASR_XLARGE", "WAVLM_LARGE", "MMS_FA",
    }  # fmt: skip
    assert P.VOXPOPULI_ASR_BASE_10K_DE._remove_aux_axis == (1, 2, 3, 35)
    assert P.VOXPOPULI_ASR_BASE_10K_EN._remove_aux_axis == (1, 2, 3, 31)
    assert P.VOXPOPULI_ASR_BASE_10K_FR._path == "wav2vec2_voxpopuli_base_10k_asr_fr.pt"
    assert "".join(P.VOXPOPULI_ASR_BASE_10K_DE.get_labels()) == "-|enirstadhulgcmobwfkzpvüäöjßyxq"


@pytest.mark.parametrize("name", ASR_BUNDLES)
def test_one_output_per_label(name):
    bundle = getattr(P, name)
    labels = bundle.get_labels(star=None) if name == "MMS_FA" else bundle.get_labels()
    assert bundle._params["aux_num_out"] == len(labels) == len(set(labels))


def test_mms_fa_labels_and_dict():
    assert P.MMS_FA.get_labels() == ("-", *MMS_LABELS, "*")
    assert P.MMS_FA.get_labels(star=None, blank="<b>") == ("<b>", *MMS_LABELS)
    assert P.MMS_FA.get_dict() == {"-": 0, **{c: i + 1 for i, c in enumerate(MMS_LABELS)}, "*": 28}
    assert "*" not in P.MMS_FA.get_dict(star=None)


def test_other_bundles_metadata():
    rnnt = P.EMFORMER_RNNT_BASE_LIBRISPEECH
    assert (rnnt.sample_rate, rnnt.n_fft, rnnt.n_mels, rnnt.hop_length) == (16000, 400, 80, 160)
    assert (rnnt.segment_length, rnnt.right_context_length, rnnt._blank) == (16, 4, 4096)
    assert rnnt._rnnt_path == "models/emformer_rnnt_base_librispeech.pt"
    assert rnnt._rnnt_factory_func.keywords == {"num_symbols": 4097}
    assert P.SQUIM_OBJECTIVE._path == "squim_objective_dns2020.pth"
    assert P.SQUIM_SUBJECTIVE.sample_rate == 16000
    assert P.CONVTASNET_BASE_LIBRI2MIX.sample_rate == 8000
    assert P.HDEMUCS_HIGH_MUSDB._model_path == "models/hdemucs_high_musdbhq_only.pt"
    taco = P.TACOTRON2_WAVERNN_PHONE_LJSPEECH
    assert taco._tacotron2_params["n_symbol"] == 96 and taco._wavernn_params["hop_length"] == 275
    assert P.TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH._tacotron2_params["n_symbol"] == 38
    assert isinstance(taco, P.Tacotron2TTSBundle)


# ----------------------------------------------------------------------- models from checkpoints

TINY = {
    "extractor_mode": "group_norm",
    "extractor_conv_layer_config": [(8, 10, 5), (8, 3, 2)],
    "extractor_conv_bias": False,
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
    "encoder_layer_norm_first": False,
    "encoder_layer_drop": 0.0,
    "aux_num_out": None,
}


def save_checkpoint(folder, name, aux_num_out=None, params=TINY):
    """Write a tiny model's state dict as ``folder/name``; returns the model."""
    ember.manual_seed(0)
    model = emberaudio.models.wav2vec2_model(**{**params, "aux_num_out": aux_num_out})
    folder.mkdir(parents=True, exist_ok=True)
    ember.save(model.state_dict(), str(folder / name))
    return model.eval()


@pytest.fixture(autouse=True)
def no_grad():
    with ember.no_grad():
        yield


def waveform(frames=400, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal((1, frames)).astype("float32"))


def test_get_model_loads_the_checkpoint(hub_dir):
    reference = save_checkpoint(hub_dir / "checkpoints", "tiny.pth")
    bundle = P.Wav2Vec2Bundle("tiny.pth", TINY, 16000, False, "Wav2Vec2")
    model = bundle.get_model()
    assert type(model) is Wav2Vec2Model and not model.training
    x = waveform()
    np.testing.assert_array_equal(model(x)[0].numpy(), reference(x)[0].numpy())
    features, _ = model.extract_features(x, num_layers=1)
    assert len(features) == 1 and features[0].shape[-1] == 16


def test_asr_bundle_drops_the_unused_outputs(hub_dir):
    # fairseq's checkpoints have three unused classes at 1, 2 and 3; the bundle removes them
    reference = save_checkpoint(hub_dir / "checkpoints", "tiny_asr.pth", aux_num_out=8)
    bundle = P.Wav2Vec2ASRBundle(
        "tiny_asr.pth", {**TINY, "aux_num_out": 5}, 16000, False, "Wav2Vec2", _labels=tuple("|abc")
    )
    model = bundle.get_model()
    kept = [0, 4, 5, 6, 7]
    np.testing.assert_array_equal(
        model.aux.weight.detach().numpy(), reference.aux.weight.detach().numpy()[kept]
    )
    np.testing.assert_array_equal(
        model.aux.bias.detach().numpy(), reference.aux.bias.detach().numpy()[kept]
    )
    x = waveform()
    np.testing.assert_allclose(model(x)[0].numpy(), reference(x)[0].numpy()[..., kept], atol=1e-6)
    voxpopuli = P.Wav2Vec2ASRBundle(
        "tiny_asr.pth",
        {**TINY, "aux_num_out": 4},
        16000,
        False,
        "Wav2Vec2",
        _labels=tuple("|ab"),
        _remove_aux_axis=(1, 2, 3, 6),
    )
    np.testing.assert_array_equal(
        voxpopuli.get_model().aux.bias.detach().numpy(),
        reference.aux.bias.detach().numpy()[[0, 4, 5, 7]],
    )


def test_normalized_model_and_dl_kwargs(hub_dir, tmp_path):
    reference = save_checkpoint(tmp_path / "elsewhere", "renamed.pth")
    bundle = P.Wav2Vec2Bundle("tiny.pth", TINY, 16000, True, "Wav2Vec2")
    model = bundle.get_model(
        dl_kwargs={"model_dir": str(tmp_path / "elsewhere"), "file_name": "renamed.pth"}
    )
    assert type(model) is _wav2vec2._Wav2Vec2Model and not model.training
    assert list(model.state_dict()) == ["model." + k for k in reference.state_dict()]
    x = waveform(seed=1) * 3 + 1
    # layer norm over the whole input, with layer_norm's eps
    array = x.numpy().astype(np.float64)
    normalized = ember.tensor(
        ((array - array.mean()) / np.sqrt(array.var() + 1e-5)).astype("float32")
    )
    np.testing.assert_allclose(model(x)[0].numpy(), reference(normalized)[0].numpy(), atol=1e-5)
    features, _ = model.extract_features(x)
    np.testing.assert_allclose(
        features[-1].numpy(), reference.extract_features(normalized)[0][-1].numpy(), atol=1e-5
    )


def test_fa_bundle_model_tokenizer_and_aligner(hub_dir):
    save_checkpoint(hub_dir / "checkpoints", "model.pt", aux_num_out=7)
    bundle = P.Wav2Vec2FABundle(
        "https://example.com/mms/model.pt",
        {**TINY, "aux_num_out": 4},
        16000,
        True,
        "Wav2Vec2",
        _labels=tuple("abc"),
    )
    emission, _ = bundle.get_model()(waveform())
    assert emission.shape[-1] == 5  # blank, a, b, c and the star
    np.testing.assert_allclose(np.exp(emission.numpy()[..., :4]).sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(emission.numpy()[..., 4], 0.0)
    assert bundle.get_model(with_star=False)(waveform())[0].shape[-1] == 4

    tokenizer, aligner = bundle.get_tokenizer(), bundle.get_aligner()
    assert isinstance(tokenizer, _wav2vec2._ITokenizer) and isinstance(aligner, _wav2vec2._IAligner)
    tokens = tokenizer(["ab", "c"])
    assert tokens == [[1, 2], [3]]
    # an emission that says: blank, a, a, b, blank, c, c (log-probabilities)
    path = [0, 1, 1, 2, 0, 3, 3]
    log_probs = np.full((7, 5), math.log(0.01), dtype="float32")
    log_probs[range(7), path] = math.log(0.96)
    words = aligner(ember.tensor(log_probs), tokens)
    assert [[(s.token, s.start, s.end) for s in word] for word in words] == [
        [(1, 1, 3), (2, 3, 4)],
        [(3, 5, 7)],
    ]
    assert words[0][0].score == pytest.approx(0.96)
    with pytest.raises(ValueError, match=r"The input emission must be 2D"):
        aligner(ember.tensor(log_probs[None]), tokens)


def test_unknown_and_missing_models(hub_dir, monkeypatch, offline):
    bundle = P.Wav2Vec2Bundle("tiny.pth", TINY, 16000, False, "Conformer")
    with pytest.raises(
        ValueError, match=r"Supported model types are \('Wav2Vec2', 'WavLM'\). Found: Conformer"
    ):
        bundle.get_model()
    monkeypatch.delattr(emberaudio.models, "wavlm_model", raising=False)
    with pytest.raises(NotImplementedError, match=r"emberaudio.models has no wavlm_model"):
        P.WAVLM_BASE.get_model()
    assert offline == []  # nothing fetched for a model that cannot be built


def test_offline_get_model_fails_fast(hub_dir, offline):
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as info:
        P.WAV2VEC2_ASR_BASE_960H.get_model()
    assert time.perf_counter() - start < 2.0
    url = "https://download.pytorch.org/torchaudio/models/wav2vec2_fairseq_base_ls960_asr_ls960.pth"
    message = str(info.value)
    assert url in message and str(hub_dir / "checkpoints") in message
    assert "wav2vec2_fairseq_base_ls960_asr_ls960.pth" in message.splitlines()[-1]
    with pytest.raises(RuntimeError, match=r"ctc_alignment_mling_uroman/model.pt"):
        P.MMS_FA.get_model()
    assert offline == [url, P.MMS_FA._path]
    assert not [p for p in hub_dir.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("get", "key"),
    [
        (lambda: P.SQUIM_OBJECTIVE.get_model(), "models/squim_objective_dns2020.pth"),
        (lambda: P.SQUIM_SUBJECTIVE.get_model(), "models/squim_subjective_bvcc_daps.pth"),
        (lambda: P.CONVTASNET_BASE_LIBRI2MIX.get_model(), "models/conv_tasnet_base_libri2mix.pt"),
        (
            lambda: P.EMFORMER_RNNT_BASE_LIBRISPEECH.get_feature_extractor(),
            "pipeline-assets/global_stats_rnnt_librispeech.json",
        ),
        (
            lambda: P.TACOTRON2_WAVERNN_CHAR_LJSPEECH.get_vocoder(),
            "models/wavernn_10k_epochs_8bits_ljspeech.pth",
        ),
    ],
    ids=["squim_objective", "squim_subjective", "convtasnet", "rnnt_stats", "wavernn"],
)
def test_offline_assets_fail_fast(hub_dir, offline, get, key):
    start = time.perf_counter()
    with pytest.raises((RuntimeError, NotImplementedError)) as info:
        get()
    assert time.perf_counter() - start < 2.0
    if info.type is NotImplementedError:  # emberaudio lacks the model: nothing fetched
        assert offline == []
        return
    url = f"https://download.pytorch.org/torchaudio/{key}"
    assert offline == [url] and url in str(info.value)
    folder = (
        hub_dir / "checkpoints"
        if key.endswith("ljspeech.pth")
        else hub_dir / "torchaudio" / key.rsplit("/", 1)[0]
    )
    assert str(folder) in str(info.value)


def test_source_separation_model_from_asset(hub_dir):
    ember.manual_seed(0)
    reference = emberaudio.models.conv_tasnet_base(num_sources=2)
    (hub_dir / "torchaudio" / "models").mkdir(parents=True)
    ember.save(
        reference.state_dict(),
        str(hub_dir / "torchaudio" / "models" / "conv_tasnet_base_libri2mix.pt"),
    )
    model = P.CONVTASNET_BASE_LIBRI2MIX.get_model()
    assert not model.training
    for (name, value), expected in zip(model.state_dict().items(), reference.state_dict().values()):
        np.testing.assert_array_equal(value.numpy(), expected.numpy(), err_msg=name)


# ------------------------------------------------------------------------------------- TTS


def test_character_text_processor():
    processor = P.TACOTRON2_WAVERNN_CHAR_LJSPEECH.get_text_processor()
    assert len(processor.tokens) == 38 and processor.tokens[:12] == tuple("_-!'(),.:;? ")
    values, lengths = processor(["Hello World!", "Hi~"])
    assert values.dtype == ember.int64 and lengths.dtype == ember.int32
    assert lengths.tolist() == [12, 2]
    # tokens: 12 punctuation marks and the space, then a-z from 12
    hello = [19, 16, 23, 23, 26, 11, 34, 26, 29, 23, 15, 2]
    assert values.tolist() == [hello, [19, 20] + [0] * 10]
    single, length = processor("ok")
    assert single.tolist() == [[26, 22]] and length.tolist() == [2]


def test_phoneme_text_processor_is_not_provided():
    with pytest.raises(RuntimeError, match=r"DeepPhonemizer"):
        P.TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH.get_text_processor()


def test_griffinlim_vocoder():
    vocoder = P.TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH.get_vocoder()
    assert isinstance(vocoder, P.Tacotron2TTSBundle.Vocoder) and vocoder.sample_rate == 22050
    mel = ember.tensor(np.random.default_rng(0).uniform(-4, 0, (1, 80, 5)).astype("float32"))
    mel.requires_grad_(True)
    with ember.enable_grad():  # the vocoder detaches its input, as torchaudio's does
        waveforms, lengths = vocoder(mel, ember.tensor([5]))
    assert tuple(waveforms.shape) == (1, 4 * 256) and not waveforms.requires_grad
    assert lengths.tolist() == [5]


TINY_TACO = {
    "mask_padding": False, "n_mels": 80, "n_frames_per_step": 1, "symbol_embedding_dim": 8,
    "encoder_embedding_dim": 8, "encoder_n_convolution": 1, "encoder_kernel_size": 3,
    "decoder_rnn_dim": 8, "decoder_max_step": 5, "decoder_dropout": 0.0,
    "decoder_early_stopping": True, "attention_rnn_dim": 8, "attention_hidden_dim": 4,
    "attention_location_n_filter": 2, "attention_location_kernel_size": 3,
    "attention_dropout": 0.0, "prenet_dim": 4, "postnet_n_convolution": 1,
    "postnet_kernel_size": 3, "postnet_embedding_dim": 4, "gate_threshold": 0.5, "n_symbol": 38,
}  # fmt: skip
TINY_WAVERNN = {
    "upsample_scales": [2, 2], "n_classes": 2**8, "hop_length": 4, "n_res_block": 1, "n_rnn": 8,
    "n_fc": 8, "kernel_size": 5, "n_freq": 80, "n_hidden": 4, "n_output": 4,
}  # fmt: skip


@pytest.mark.skipif(
    not hasattr(emberaudio.models, "Tacotron2"), reason="emberaudio lacks Tacotron2"
)
def test_tacotron2_and_wavernn_from_checkpoints(hub_dir):
    ember.manual_seed(0)
    tacotron2 = emberaudio.models.Tacotron2(**TINY_TACO)
    wavernn = emberaudio.models.WaveRNN(**TINY_WAVERNN)
    (hub_dir / "checkpoints").mkdir(parents=True)
    ember.save(tacotron2.state_dict(), str(hub_dir / "checkpoints" / "taco.pth"))
    ember.save(wavernn.state_dict(), str(hub_dir / "checkpoints" / "wrnn.pth"))
    bundle = type(P.TACOTRON2_WAVERNN_CHAR_LJSPEECH)(
        _tacotron2_path="taco.pth",
        _tacotron2_params=TINY_TACO,
        _wavernn_path="wrnn.pth",
        _wavernn_params=TINY_WAVERNN,
    )
    model = bundle.get_tacotron2()
    assert not model.training
    for (name, value), expected in zip(model.state_dict().items(), tacotron2.state_dict().values()):
        np.testing.assert_array_equal(value.numpy(), expected.numpy(), err_msg=name)
    vocoder = bundle.get_vocoder()
    assert vocoder.sample_rate == 22050 and not vocoder._model.training
    mel = ember.tensor(np.random.default_rng(0).uniform(-4, 0, (1, 80, 6)).astype("float32"))
    waveforms, _ = vocoder(mel)
    assert waveforms.ndim == 2 and waveforms.dtype == ember.float32
    assert np.abs(waveforms.numpy()).max() <= 1.0


def test_missing_tacotron2(hub_dir, monkeypatch, offline):
    monkeypatch.delattr(emberaudio.models, "Tacotron2", raising=False)
    with pytest.raises(NotImplementedError, match=r"emberaudio.models has no Tacotron2"):
        P.TACOTRON2_WAVERNN_CHAR_LJSPEECH.get_tacotron2()
    assert offline == []


# ------------------------------------------------------------------------------------ RNN-T


def test_piecewise_linear_log():
    x = ember.tensor([1.0, math.e, 5.0, 20.0, 100.0])
    # log above e; then everything at or below e (5's log included) is divided by e
    expected = [1 / math.e, 1.0, math.log(5.0) / math.e, math.log(20.0), math.log(100.0)]
    np.testing.assert_allclose(_rnnt._piecewise_linear_log(x).numpy(), expected, rtol=1e-6)


def test_rnnt_feature_extractors(hub_dir):
    assets = hub_dir / "torchaudio" / "pipeline-assets"
    assets.mkdir(parents=True)
    mean, invstddev = np.linspace(-1, 1, 80), np.linspace(0.5, 2, 80)
    (assets / "global_stats_rnnt_librispeech.json").write_text(
        json.dumps({"mean": mean.tolist(), "invstddev": invstddev.tolist()})
    )
    bundle = P.EMFORMER_RNNT_BASE_LIBRISPEECH
    x = waveform(1600)[0] * 0.1
    mel = emberaudio.transforms.MelSpectrogram(16000, n_fft=400, n_mels=80, hop_length=160)(x)
    scaled = mel.numpy().T.astype(np.float64) * 10 ** (2 * 20 * math.log10(32767) / 20)
    logged = np.where(scaled > math.e, np.log(scaled), scaled)
    logged = np.where(logged <= math.e, logged / math.e, logged)
    expected = (logged - mean) * invstddev

    features, length = bundle.get_streaming_feature_extractor()(x)
    assert isinstance(bundle.get_streaming_feature_extractor(), _rnnt._FeatureExtractor)
    assert tuple(features.shape) == (11, 80) and length.tolist() == [11]
    np.testing.assert_allclose(features.numpy(), expected, rtol=1e-4, atol=1e-4)
    features, length = bundle.get_feature_extractor()(x)
    assert tuple(features.shape) == (15, 80) and length.tolist() == [15]
    np.testing.assert_array_equal(features.numpy()[11:], 0.0)  # right padding


def test_rnnt_token_processor_needs_sentencepiece(hub_dir):
    if importlib.util.find_spec("sentencepiece") is not None:
        pytest.skip("sentencepiece is installed")
    assets = hub_dir / "torchaudio" / "pipeline-assets"
    assets.mkdir(parents=True)
    (assets / "spm_bpe_4096_librispeech.model").write_bytes(b"")
    with pytest.raises(RuntimeError, match=r"SentencePiece is not available"):
        P.EMFORMER_RNNT_BASE_LIBRISPEECH.get_token_processor()


def test_rnnt_decoder_without_model(hub_dir, monkeypatch, offline):
    monkeypatch.delattr(emberaudio.models, "emformer_rnnt_base", raising=False)
    with pytest.raises(NotImplementedError, match=r"emberaudio.models has no emformer_rnnt_base"):
        P.EMFORMER_RNNT_BASE_LIBRISPEECH.get_decoder()
    assert offline == []
