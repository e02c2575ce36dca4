"""Write the API reference pages, ``docs/reference/*.md``: one mkdocstrings directive per
public name, grouped by the module that defines it. The docstrings themselves are rendered by
mkdocstrings when the site is built; nothing is copied here.

Run it from anywhere after adding, removing or renaming a public name, and commit the result:

    python docs/gen_reference.py

``tests/integration/test_docs.py`` fails while the committed pages differ from its output.
The public names of a module are its ``__all__``, or, without one, the names not starting
with ``_`` that the package itself defines (so ``import numpy as np`` adds nothing).
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
SOURCES = tuple(f"packages/{name}/src" for name in ("core", "vision", "text", "audio"))

# (module, page title, one-line description): one page each, in this order.
PAGES = [
    ("ember", "ember", "Tensors, data types, devices, random numbers and the operations."),
    ("ember.autograd", "ember.autograd", "Gradient modes, `backward`/`grad`, custom Functions."),
    (
        "ember.autograd.functional",
        "ember.autograd.functional",
        "Jacobians, Hessians and their products with vectors.",
    ),
    ("ember.func", "ember.func", "Function transforms: grad, vjp, jvp, Jacobians, vmap."),
    ("ember.nn", "ember.nn", "Modules: the layers, losses and containers."),
    ("ember.nn.functional", "ember.nn.functional", "The layers as functions."),
    ("ember.nn.init", "ember.nn.init", "Parameter initialisation."),
    ("ember.nn.parallel", "ember.nn.parallel", "DistributedDataParallel."),
    (
        "ember.nn.utils",
        "ember.nn.utils",
        "Gradient clipping, parameter vectors, weight normalization.",
    ),
    ("ember.nn.utils.rnn", "ember.nn.utils.rnn", "Padded and packed sequences."),
    (
        "ember.nn.utils.parametrize",
        "ember.nn.utils.parametrize",
        "Parameters and buffers computed from others.",
    ),
    (
        "ember.nn.utils.parametrizations",
        "ember.nn.utils.parametrizations",
        "Weight and spectral normalization as parametrizations.",
    ),
    (
        "ember.special",
        "ember.special",
        "torch.special's functions: Bessel, error and gamma functions, entropy, normal CDF.",
    ),
    ("ember.optim", "ember.optim", "Optimizers."),
    ("ember.optim.lr_scheduler", "ember.optim.lr_scheduler", "Learning-rate schedules."),
    ("ember.optim.swa_utils", "ember.optim.swa_utils", "Weight averaging (SWA, EMA) and SWALR."),
    ("ember.amp", "ember.amp", "Automatic mixed precision: autocast and GradScaler."),
    ("ember.utils.checkpoint", "ember.utils.checkpoint", "Activation checkpointing."),
    ("ember.utils.data", "ember.utils.data", "Datasets, samplers and the DataLoader."),
    ("ember.utils.safetensors", "ember.utils.safetensors", "Safetensors files."),
    ("ember.fft", "ember.fft", "Discrete Fourier transforms."),
    ("ember.linalg", "ember.linalg", "Linear algebra: norms, solvers and decompositions."),
    (
        "ember.distributions",
        "ember.distributions",
        "Probability distributions, transforms, constraints and KL divergences.",
    ),
    ("ember.hub", "ember.hub", "Downloading files."),
    ("ember.cuda", "ember.cuda", "CUDA device queries."),
    ("ember.distributed", "ember.distributed", "Process groups and collectives on MPI."),
    ("embervision.datasets", "embervision.datasets", "Image datasets."),
    ("embervision.transforms", "embervision.transforms", "Image transforms."),
    (
        "embervision.transforms.functional",
        "embervision.transforms.functional",
        "The transforms as functions.",
    ),
    (
        "embervision.tv_tensors",
        "embervision.tv_tensors",
        "Tensor subclasses for images, videos, masks and bounding boxes.",
    ),
    (
        "embervision.transforms.v2",
        "embervision.transforms.v2",
        "Transforms v2: whole samples with boxes and masks, and their functionals.",
    ),
    ("embervision.models", "embervision.models", "Model architectures and the registry."),
    (
        "embervision.models.segmentation",
        "embervision.models.segmentation",
        "Semantic segmentation: FCN, DeepLabV3, LR-ASPP.",
    ),
    (
        "embervision.models.detection",
        "embervision.models.detection",
        "Object detection: Faster, Mask and Keypoint R-CNN, RetinaNet, FCOS, SSD and SSDlite, and their parts.",
    ),
    (
        "embervision.models.video",
        "embervision.models.video",
        "Video classification: 3-d ResNets, S3D, MViT, Video Swin.",
    ),
    (
        "embervision.models.optical_flow",
        "embervision.models.optical_flow",
        "Optical flow: RAFT.",
    ),
    (
        "embervision.ops",
        "embervision.ops",
        "Boxes, NMS, RoI Align/Pool, deformable convolution, FPN, detection losses.",
    ),
    ("embervision.io", "embervision.io", "Reading and writing images."),
    ("embervision.utils", "embervision.utils", "Image grids, saving, drawing."),
    ("embertext.data.utils", "embertext.data.utils", "Tokenizers and n-grams."),
    ("embertext.vocab", "embertext.vocab", "Vocabularies and pretrained word vectors."),
    ("embertext.transforms", "embertext.transforms", "Text transforms and subword tokenizers."),
    ("embertext.functional", "embertext.functional", "The transforms as functions."),
    ("embertext.datasets", "embertext.datasets", "Text classification datasets."),
    ("embertext.nn", "embertext.nn", "Multi-head attention containers."),
    ("embertext.models", "embertext.models", "RoBERTa, XLM-R and T5 with their bundles."),
    ("embertext.utils", "embertext.utils", "Downloads and archives."),
    ("emberaudio", "emberaudio", "Loading and saving audio."),
    ("emberaudio.functional", "emberaudio.functional", "Audio operations as functions."),
    ("emberaudio.transforms", "emberaudio.transforms", "Audio transforms."),
    ("emberaudio.datasets", "emberaudio.datasets", "Speech, music and dictionary datasets."),
    ("emberaudio.models", "emberaudio.models", "Audio models."),
    ("emberaudio.pipelines", "emberaudio.pipelines", "Pretrained model bundles."),
]

# Section headings for the modules that define public names; others get their module's name.
SECTIONS = {
    "ember._tensor": "Tensor",
    "ember._creation": "Creating tensors",
    "ember._dtype": "Data types",
    "ember.backend": "Devices",
    "ember.random": "Random sampling",
    "ember.serialization": "Saving and loading",
    "ember.autograd.grad_mode": "Gradient modes",
    "ember.ops.pointwise": "Pointwise operations",
    "ember.ops.activation": "Activations and softmax",
    "ember.ops.reduction": "Reductions",
    "ember.ops.shape": "Shapes, views and joining",
    "ember.ops.indexing": "Indexing, scattering and gathering",
    "ember.ops.sorting": "Sorting and searching",
    "ember.ops.linalg": "Linear algebra",
    "ember.ops.conversion": "Copies",
    "ember._tensor_str": "Printing",
    "ember.autograd": "Custom functions",
    "ember.autograd.function": "Graph and backward",
    "ember.autograd.gradcheck": "Gradient checks",
    "ember.autograd.anomaly_mode": "Anomaly detection",
    "ember.ops.special_functions": "Bessel functions, zeta and orthogonal polynomials",
    "ember._torch_functions": "More of torch's top level: layers as functions, copies, settings",
    "ember.nn.modules.module": "Module",
    "ember.nn.parameter": "Parameters",
    "ember.nn.modules.container": "Containers",
    "ember.nn.modules.linear": "Linear layers",
    "ember.nn.modules.conv": "Convolution layers",
    "ember.nn.modules.pooling": "Pooling layers",
    "ember.nn.modules.padding": "Padding layers",
    "ember.nn.modules.activation": "Activations",
    "ember.nn.modules.normalization": "Normalization layers",
    "ember.nn.modules.batchnorm": "Batch normalization",
    "ember.nn.modules.dropout": "Dropout layers",
    "ember.nn.modules.sparse": "Embeddings",
    "ember.nn.modules.rnn": "Recurrent layers",
    "ember.nn.modules.transformer": "Transformer layers",
    "ember.nn.modules.loss": "Loss functions",
    "ember.nn.modules.flatten": "Flattening",
    "ember.nn.modules.fold": "Fold and unfold",
    "ember.nn.modules.pixelshuffle": "Pixel shuffle",
    "ember.nn.modules.upsampling": "Upsampling",
    "ember.nn.modules.adaptive": "Adaptive softmax",
    "ember.nn.parallel.data_parallel": "Data parallelism",
    "ember.nn.functional": "Activations",
    "ember.ops.linear": "Linear functions",
    "ember.ops.conv": "Convolutions",
    "ember.ops.pooling": "Pooling",
    "ember.ops.padding": "Padding",
    "ember.ops.normalization": "Normalization",
    "ember.ops.dropout": "Dropout",
    "ember.ops.embedding": "Embeddings",
    "ember.ops.attention": "Attention",
    "ember.ops.loss": "Loss functions",
    "ember.ops.sampling": "Upsampling and grid sampling",
    "ember.utils.data.dataset": "Datasets",
    "ember.utils.data.sampler": "Samplers",
    "ember.utils.data.dataloader": "DataLoader",
    "ember.utils.data._collate": "Collation",
    "ember.utils.data._worker": "Worker processes",
    "embervision.transforms.transforms": "Transforms",
    "embervision.transforms.autoaugment": "Automatic augmentation",
    "embervision.transforms.functional": "Interpolation modes",
    "embervision.transforms.v2._transform": "The Transform base class",
    "embervision.transforms.v2._container": "Containers",
    "embervision.transforms.v2._type_conversion": "Type conversion",
    "embervision.transforms.v2._geometry": "Geometry",
    "embervision.transforms.v2._color": "Colour",
    "embervision.transforms.v2._misc": "Miscellaneous and bounding boxes",
    "embervision.transforms.v2._augment": "Augmentation",
    "embervision.transforms.v2._auto_augment": "Automatic augmentation",
    "embervision.transforms.v2._utils": "Inspecting samples",
    "embervision.models._api": "Registry",
    "embervision.models.lenet": "LeNet-5",
    "embervision.models.alexnet": "AlexNet",
    "embervision.models.vgg": "VGG",
    "embervision.models.resnet": "ResNet",
    "embervision.models.densenet": "DenseNet",
    "embervision.models.squeezenet": "SqueezeNet",
    "embervision.models.shufflenetv2": "ShuffleNet V2",
    "embervision.models.mobilenetv2": "MobileNet V2",
    "embervision.models.mobilenetv3": "MobileNet V3",
    "embervision.models.efficientnet": "EfficientNet",
    "embervision.models.mnasnet": "MNASNet",
    "embervision.models.googlenet": "GoogLeNet",
    "embervision.models.inception": "Inception v3",
    "embervision.models.convnext": "ConvNeXt",
    "embervision.models.regnet": "RegNet",
    "embervision.models.vision_transformer": "Vision Transformer",
    "embervision.models.swin_transformer": "Swin Transformer",
    "embervision.models.maxvit": "MaxViT",
    "embervision.models.segmentation.fcn": "FCN",
    "embervision.models.segmentation.deeplabv3": "DeepLabV3",
    "embervision.models.segmentation.lraspp": "LR-ASPP",
    "emberaudio.models.wav2letter": "Wav2Letter",
    "emberaudio.models.wav2vec2.model": "Wav2Vec2, HuBERT and WavLM",
    "emberaudio.models.conformer": "Conformer",
    "emberaudio.models.conv_tasnet": "Conv-TasNet",
    "emberaudio.models.deepspeech": "DeepSpeech",
    "emberaudio.models.wavernn": "WaveRNN",
    "emberaudio.models.tacotron2": "Tacotron2",
    "emberaudio.models.emformer": "Emformer",
    "emberaudio.models.rnnt": "RNN-T",
    "emberaudio.models.rnnt_decoder": "RNN-T beam search",
    "typing": "Type aliases",
    "emberaudio.models._hdemucs": "Hybrid Demucs",
    "emberaudio.models.squim.objective": "SQUIM objective",
    "emberaudio.models.squim.subjective": "SQUIM subjective",
}


def public_names(module):
    """The module's public names: ``__all__``, else what its own package defines."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return [n for n in names if not isinstance(getattr(module, n), types.ModuleType)]
    package = module.__name__.split(".")[0]
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and not isinstance(obj, types.ModuleType)
        and _home(obj).split(".")[0] == package
    ]


def _home(obj):
    """The module that defines ``obj`` (or its type, for instances such as dtypes)."""
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return getattr(obj, "__module__", None) or ""
    return type(obj).__module__


def _section_order(home):
    keys = list(SECTIONS)
    return (keys.index(home), home) if home in keys else (len(keys), home)


def render(module_name, title, description):
    """The Markdown of one reference page."""
    module = importlib.import_module(module_name)
    # one entry per object: a name equal to the object's own __name__ wins, the rest are aliases
    primary, aliases = {}, {}
    for name in sorted(public_names(module), key=str.lower):
        obj = getattr(module, name)
        key = id(obj)
        if key not in primary or name == _own_name(obj):
            if key in primary:
                aliases.setdefault(key, []).append(primary[key])
            primary[key] = name
        else:
            aliases.setdefault(key, []).append(name)

    sections = {}
    for key, name in primary.items():
        sections.setdefault(_home(getattr(module, name)), []).append((name, key))

    lines = [f"# `{title}`", "", description, ""]
    for home in sorted(sections, key=_section_order):
        entries = sorted(sections[home], key=lambda e: e[0].lower())
        lines += [f"## {SECTIONS.get(home, home)}", ""]
        values = [(n, k) for n, k in entries if not _documentable(getattr(module, n))]
        if values:
            lines += _value_table(module_name, values, aliases)
        for name, key in entries:
            if (name, key) in values:
                continue
            lines += [f"::: {module_name}.{name}", ""]
            if key in aliases:
                others = ", ".join(f"`{module_name}.{a}`" for a in sorted(aliases[key]))
                lines += [f"Also available as {others}.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _own_name(obj):
    """The name an object calls itself: ``__name__``, or a dtype's ``name`` (``float32``)."""
    name = getattr(obj, "__name__", None) or getattr(obj, "name", None)
    return name if isinstance(name, str) else None


def _documentable(obj):
    """Classes and functions get a directive; plain values (dtypes) get a table row."""
    return inspect.isclass(obj) or callable(obj)


def _value_table(module_name, values, aliases):
    rows = ["| name | also available as |", "|---|---|"]
    for name, key in values:
        others = ", ".join(f"`{module_name}.{a}`" for a in sorted(aliases.get(key, [])))
        rows.append(f"| `{module_name}.{name}` | {others} |")
    return rows + [""]


def index():
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings. Names, arguments and defaults follow PyTorch's; where",
        "Ember differs, the docstring says so (and [Coming from PyTorch](../coming-from-pytorch.md)",
        "lists every difference).",
        "",
        "| module | contents |",
        "|---|---|",
    ]
    for module_name, title, description in PAGES:
        lines.append(f"| [`{title}`]({module_name}.md) | {description} |")
    return "\n".join(lines) + "\n"


def pages():
    """Every reference page: file name -> Markdown."""
    for source in SOURCES:
        path = str(ROOT / source)
        if path not in sys.path:
            sys.path.insert(0, path)
    out = {"index.md": index()}
    for module_name, title, description in PAGES:
        out[f"{module_name}.md"] = render(module_name, title, description)
    return out


def main():
    target = DOCS / "reference"
    target.mkdir(exist_ok=True)
    written = pages()
    for stale in set(p.name for p in target.glob("*.md")) - set(written):
        (target / stale).unlink()
    for name, text in written.items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(written)} pages to {target}")


if __name__ == "__main__":
    main()
