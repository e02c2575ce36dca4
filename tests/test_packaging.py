"""Each workspace package declares exactly what it imports.

For every package under packages/, every absolute import in its source must be satisfied by the
standard library, the package itself, or a distribution named in its pyproject `dependencies`.
An import satisfied only by an optional extra is allowed only in the modules listed in
OPTIONAL_IMPORT_HOMES (cupy lives in ember/backend.py and nowhere else, mpi4py in
ember/distributed/_mpi.py).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

# tomllib is standard from Python 3.11; ember supports 3.10, where these checks are skipped.
tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = sorted(p.parent for p in (ROOT / "packages").glob("*/pyproject.toml"))

# Import name -> distribution name, where the two differ. Anything not listed is assumed to be
# distributed under its import name (compared after PEP 503 normalisation).
IMPORT_TO_DIST = {
    "PIL": "pillow",
    "cupy": "cupy",  # any cupy-* wheel (cupy-cuda12x, ...) provides it
    "cupyx": "cupy",
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
}

# (package import name, imported top-level module) -> files (relative to the package's import
# directory) that may import it although only an optional extra provides it.
OPTIONAL_IMPORT_HOMES = {
    ("ember", "cupy"): {"backend.py"},
    ("ember", "cupyx"): {"backend.py"},
    ("ember", "mpi4py"): {"distributed/_mpi.py"},
    ("embervision", "matplotlib"): {"train.py"},
    ("embervision", "emberserve"): {"train.py"},
    ("embervision", "scipy"): {"datasets/_optional.py"},
    ("embervision", "h5py"): {"datasets/_optional.py"},
    ("embertext", "sentencepiece"): {"models/_assets.py"},
    ("emberaudio", "sentencepiece"): {"pipelines/_rnnt.py"},
    ("emberserve", "PIL"): {"handlers/image_classifier.py"},
    ("emberserve", "embervision"): {"handlers/image_classifier.py"},
    ("emberserve", "embertext"): {"handlers/text_classifier.py"},
}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return normalize(match.group(1))


def dist_key(name: str) -> str:
    """Distribution name as compared here: every cupy-* wheel counts as `cupy`."""
    name = normalize(name)
    return "cupy" if name.startswith("cupy-") else name


class Package:
    def __init__(self, directory: Path):
        self.directory = directory
        with open(directory / "pyproject.toml", "rb") as f:
            self.pyproject = tomllib.load(f)
        project = self.pyproject["project"]
        self.name = normalize(project["name"])
        self.dependencies = {dist_key(requirement_name(r)) for r in project.get("dependencies", [])}
        self.optional = {
            dist_key(requirement_name(r))
            for reqs in project.get("optional-dependencies", {}).values()
            for r in reqs
        }
        (self.import_dir,) = [p for p in (directory / "src").iterdir() if p.is_dir()]
        self.import_name = self.import_dir.name

    def __repr__(self) -> str:
        return self.name

    def imports(self):
        """Yield (file relative to the import dir, top-level module, line) for absolute imports."""
        for path in sorted(self.import_dir.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    yield path.relative_to(self.import_dir).as_posix(), top, node.lineno


PACKAGES = [Package(d) for d in PACKAGE_DIRS]
WORKSPACE_IMPORTS = {p.import_name: p.name for p in PACKAGES}


def test_all_packages_found():
    names = {p.name for p in PACKAGES}
    assert names == {"ember", "embervision", "embertext", "emberaudio", "emberserve"}


@pytest.mark.parametrize("package", PACKAGES, ids=repr)
def test_imports_are_declared(package: Package):
    problems = []
    for file, module, line in package.imports():
        if module in sys.stdlib_module_names or module == package.import_name:
            continue
        where = f"{package.import_name}/{file}:{line}"
        dist = WORKSPACE_IMPORTS.get(module) or dist_key(IMPORT_TO_DIST.get(module, module))
        if dist in package.dependencies:
            continue
        if module in WORKSPACE_IMPORTS and dist not in package.optional:
            problems.append(
                f"{where} imports sibling package {module!r} without declaring {dist!r}"
            )
        elif dist in package.optional:
            homes = OPTIONAL_IMPORT_HOMES.get((package.import_name, module), set())
            if file not in homes:
                allowed = ", ".join(sorted(homes)) or "no module"
                problems.append(
                    f"{where} imports optional {module!r}; only {allowed} may import it"
                )
        else:
            problems.append(f"{where} imports {module!r} but {dist!r} is not in dependencies")
    assert not problems, "\n".join(problems)


def test_cupy_is_an_optional_extra_of_ember():
    (ember,) = [p for p in PACKAGES if p.name == "ember"]
    assert "cupy" in ember.optional
    assert "cupy" not in ember.dependencies
    assert ember.dependencies == {"numpy"}


@pytest.mark.parametrize("package", PACKAGES, ids=repr)
def test_metadata(package: Package):
    project = package.pyproject["project"]
    assert project["requires-python"] == ">=3.10"
    assert (package.directory / project["readme"]).is_file()
    assert package.pyproject["build-system"]["build-backend"] == "hatchling.build"
    assert package.import_name == package.name
    wheel = package.pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == [f"src/{package.import_name}"]
    if package.name != "ember":
        assert "ember" in package.dependencies


@pytest.mark.parametrize("package", PACKAGES, ids=repr)
def test_version_is_dynamic_from_init(package: Package):
    assert "version" not in package.pyproject["project"]
    assert "version" in package.pyproject["project"]["dynamic"]
    init = f"src/{package.import_name}/__init__.py"
    assert package.pyproject["tool"]["hatch"]["version"]["path"] == init

    tree = ast.parse((package.directory / init).read_text(encoding="utf-8"))
    versions = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
        and isinstance(node.value, ast.Constant)
    ]
    assert len(versions) == 1, f"{init} must assign __version__ once, to a string literal"
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]|rc|\.dev|\.post)?\d*", versions[0])

    try:
        installed = importlib.metadata.version(package.name)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{package.name} is not installed")
    module = __import__(package.import_name)
    assert module.__version__ == versions[0]
    assert installed == versions[0], (
        f"installed {package.name} metadata says {installed}; reinstall it (hatch env prune)"
    )
