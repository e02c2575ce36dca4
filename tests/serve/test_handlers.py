"""The built-in handlers against independent references, and the handler registry."""

import asyncio
import io

import numpy as np
import pytest

import ember
from emberserve import ServeConfig, archive
from emberserve.errors import ArchiveError, InferenceError, InvalidInput
from emberserve.handlers import (
    BaseHandler,
    TensorHandler,
    get_handler,
    handle_batch,
    list_handlers,
    register_handler,
    resolve_handler,
)
from emberserve.handlers import image_classifier as ic
from emberserve.registry import ModelRegistry
from emberserve.testing import linear

PIL = pytest.importorskip("PIL.Image")

MEAN, STD = [0.5, 0.4, 0.3], [0.2, 0.25, 0.5]


def _image(width, height, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _encode(pixels, format="PNG"):
    buffer = io.BytesIO()
    PIL.fromarray(pixels).save(buffer, format)
    return buffer.getvalue()


def test_crop_and_normalize_match_a_numpy_reference():
    # the shorter side is already `resize`, so no resampling: the reference is pure slicing
    pixels = _image(16, 21)
    array = ic._resize_crop_normalize(PIL.fromarray(pixels), 16, 10, MEAN, STD)
    top, left = round((21 - 10) / 2), 3  # torchvision's CenterCrop offsets
    expected = (pixels[top : top + 10, left : left + 10] / 255 - MEAN) / STD
    np.testing.assert_allclose(array, expected.transpose(2, 0, 1), rtol=1e-6, atol=1e-6)
    assert array.dtype == np.float32 and array.shape == (3, 10, 10)


def test_resize_keeps_aspect_ratio_like_torchvision():
    wide = PIL.fromarray(_image(40, 20))
    assert ic._resize_crop_normalize(wide, 10, 10, MEAN, STD).shape == (3, 10, 10)
    # Resize(10) of 40x20 is 20x10 (int(10 * 40 / 20)); a uniform image stays uniform
    flat = PIL.fromarray(np.full((20, 40, 3), 51, np.uint8))
    np.testing.assert_allclose(
        ic._resize_crop_normalize(flat, 10, 8, [0, 0, 0], [1, 1, 1]), 0.2, rtol=1e-6
    )


@pytest.mark.skipif(
    ic.vision_transforms is None
    or not all(hasattr(ic.vision_transforms, n) for n in ic._VISION_NAMES),
    reason="embervision transforms are not installed",
)
def test_embervision_pipeline_matches_the_fallback():
    settings = ic._settings({"resize": 12, "crop": 10, "mean": MEAN, "std": STD})
    image = PIL.fromarray(_image(30, 17))
    expected = ic._resize_crop_normalize(image, 12, 10, MEAN, STD)
    np.testing.assert_allclose(ic._pipeline(settings)(image), expected, rtol=1e-4, atol=1e-4)


def test_decode_image_limits_and_errors():
    assert ic.decode_image(_encode(_image(5, 4)), 100).size == (5, 4)
    assert ic.decode_image(_encode(_image(5, 4), "JPEG"), 100).mode == "RGB"
    gray = io.BytesIO()
    PIL.fromarray(_image(5, 4)[..., 0]).save(gray, "PNG")
    assert ic.decode_image(gray.getvalue(), 100).mode == "RGB"
    with pytest.raises(InvalidInput, match="over the limit of 19"):
        ic.decode_image(_encode(_image(5, 4)), 19)
    with pytest.raises(InvalidInput, match="decode"):
        ic.decode_image(_encode(_image(50, 40))[:-100], 10_000)


def test_image_classifier_end_to_end(tmp_path):
    path = archive.create(
        tmp_path / "img.emar",
        name="img",
        factory="emberserve.testing:tiny_cnn",
        handler="image_classifier",
        labels={"0": ["n0", "zero"], "1": "one"},
        handler_config={"resize": 12, "crop": 10, "mean": MEAN, "std": STD, "topk": 9},
    )
    registry = ModelRegistry(ServeConfig())
    model = registry.register(path)
    try:
        handler = model.batcher.make_handler()
        pixels = [_image(14, 12, seed) for seed in range(3)]
        batch = [
            {"body": _encode(pixels[0])},
            {"inputs": {"image": np.array([_encode(p) for p in pixels[1:]], dtype=object)}},
        ]
        with ember.inference_mode():
            top, v2 = handle_batch(handler, batch)
            # the reference: the same model on the same transform, softmax in numpy
            net = model.context.load_model()
            x = np.stack(
                [ic._resize_crop_normalize(PIL.fromarray(p), 12, 10, MEAN, STD) for p in pixels]
            )
            logits = net(ember.from_numpy(x)).numpy()
        expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        np.testing.assert_allclose(v2["probabilities"], expected[1:], rtol=1e-5)
        assert len(top) == 5  # topk 9 is clamped to the 5 classes
        order = np.argsort(-expected[0])
        labels = {0: "zero", 1: "one"}
        assert list(top) == [labels.get(i, str(i)) for i in order]
        np.testing.assert_allclose(list(top.values()), expected[0][order], rtol=1e-5)
    finally:
        registry.close()


def test_image_classifier_rejects_bad_settings(tmp_path):
    with pytest.raises(ValueError, match="crop <= resize"):
        archive.create(
            tmp_path / "x.emar",
            name="x",
            factory="emberserve.testing:tiny_cnn",
            handler="image_classifier",
            handler_config={"resize": 8, "crop": 10},
        )
    with pytest.raises(ValueError, match="unknown image_classifier settings"):
        archive.create(
            tmp_path / "x.emar",
            name="x",
            factory="emberserve.testing:tiny_cnn",
            handler="image_classifier",
            handler_config={"size": 8},
        )


def _tensor_handler(tmp_path, factory, inputs, **kwargs):
    path = archive.create(tmp_path / "t.emar", name="t", factory=factory, inputs=inputs, **kwargs)
    registry = ModelRegistry(ServeConfig())
    model = registry.register(path, workers=0)
    return registry, model.batcher.make_handler()


def test_tensor_handler_splits_a_mixed_batch(tmp_path):
    x = [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}]
    registry, handler = _tensor_handler(tmp_path, "emberserve.testing:linear", x)
    try:
        rng = np.random.default_rng(1)
        a, b = (
            rng.standard_normal((1, 4)).astype(np.float32),
            rng.standard_normal((3, 4)).astype(np.float32),
        )
        batch = [
            {"body": str(a[0].tolist()).encode()},
            {"inputs": {"x": b}},
            {"data": str(b.tolist())},
        ]
        single, named, nested = handle_batch(handler, batch)
        net = handler.model
        reference = net(ember.from_numpy(np.concatenate([a, b]))).detach().numpy()
        np.testing.assert_allclose(single, reference[0], rtol=1e-5)  # a sample in, a sample out
        np.testing.assert_allclose(named["output__0"], reference[1:], rtol=1e-5)
        np.testing.assert_allclose(nested, reference[1:], rtol=1e-5)
    finally:
        registry.close()


def test_tensor_handler_reports_model_output_mismatches(tmp_path):
    x = [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}]
    outputs = [
        {"name": "o", "datatype": "FP32", "shape": [-1, 2]},
        {"name": "p", "datatype": "FP32", "shape": [-1, 2]},
    ]
    registry, handler = _tensor_handler(
        tmp_path, "emberserve.testing:Sleepy", x, kwargs={"seconds": 0}, outputs=outputs
    )
    try:
        (result,) = handle_batch(handler, [{"body": b"[[1, 2]]"}])
        assert (
            isinstance(result, InferenceError)
            and "returned 1 outputs; the archive declares 2" in result.message
        )
    finally:
        registry.close()


def test_handler_registry(monkeypatch):
    from emberserve.handlers import registry

    monkeypatch.setattr(registry, "_HANDLERS", dict(registry._HANDLERS))  # undo registrations
    assert {"image_classifier", "text_classifier", "tensor"} <= set(list_handlers())
    assert get_handler("tensor") is TensorHandler
    with pytest.raises(KeyError, match=r"registered handlers: .*image_classifier"):
        get_handler("object_detector")

    @register_handler("test_registry_handler")
    class Custom(BaseHandler):
        pass

    assert resolve_handler("test_registry_handler") is Custom
    assert register_handler("test_registry_handler")(Custom) is Custom  # idempotent
    with pytest.raises(ValueError, match="already registered"):
        register_handler("test_registry_handler")(type("Other", (BaseHandler,), {}))
    with pytest.raises(TypeError):
        register_handler("not_a_handler")(object)
    assert resolve_handler("emberserve.testing:EchoHandler").__name__ == "EchoHandler"
    with pytest.raises(ArchiveError, match="not a BaseHandler"):
        resolve_handler("emberserve.testing:linear")
    with pytest.raises(ArchiveError, match="cannot load handler"):
        resolve_handler("emberserve.testing:Nope")


@pytest.mark.parametrize(
    "device",
    [
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(
                    not ember.cuda.is_available(), reason="needs cupy and a CUDA GPU"
                ),
            ],
        )
    ],
)
def test_models_run_on_the_configured_device(tmp_path, device):
    path = archive.create(
        tmp_path / "m.emar",
        name="m",
        factory="emberserve.testing:linear",
        inputs=[{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
    )
    registry = ModelRegistry(ServeConfig(device=device))
    try:
        model = registry.register(path)
        assert model.context.load_model().weight.device.type == "cuda"
        x = np.arange(8, dtype=np.float32).reshape(2, 4)
        result = asyncio.run(model.batcher.submit({"inputs": {"x": x}}, timeout=30))
        np.testing.assert_allclose(result["output__0"], _linear_reference(x), rtol=1e-5)
    finally:
        registry.close()


@pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is present")
def test_an_unavailable_device_is_a_clear_archive_error(tmp_path):
    path = archive.create(
        tmp_path / "m.emar",
        name="m",
        factory="emberserve.testing:linear",
        inputs=[{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
    )
    with pytest.raises(ArchiveError, match="cannot move the model to cuda"):
        ModelRegistry(ServeConfig(device="cuda")).register(path)


def _linear_reference(x):
    model = linear()
    return x @ model.weight.detach().numpy().T + model.bias.detach().numpy()


def test_grayscale_and_padding_match_torchvision_pad():
    settings = ic._settings(
        {"resize": 6, "crop": 6, "pad": 2, "channels": 1, "mean": [0.5], "std": [0.25]}
    )
    gray = PIL.fromarray(_image(6, 6)).convert("L")
    out = ic._pipeline(settings)(gray)
    assert out.shape == (1, 10, 10)
    core = (np.asarray(gray, np.float32) / 255 - 0.5) / 0.25
    np.testing.assert_allclose(out[0, 2:-2, 2:-2], core, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[0, :2], (0 - 0.5) / 0.25)
    fallback = ic._resize_crop_normalize(gray, 6, 6, [0.5], [0.25], pad=2)
    np.testing.assert_allclose(out, fallback, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="mean and std need 1 values each"):
        ic._settings({"channels": 1})
    assert ic.decode_image(_encode(_image(5, 4)), 100, "L").mode == "L"
