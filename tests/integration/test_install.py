"""Install only what you need: a package's wheel brings in only what that package declares.

The five workspace packages are built into wheels once. Each scenario installs some of those
wheels into a fresh virtual environment (third-party dependencies come from the package index),
then, inside that environment, trains a small model and checks that the packages it does not
need are absent. The test needs the package index; without it, it is skipped.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    # emberserve depends on tomli before 3.11, so the workspace test environment has it.
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]


def _load_pyproject(path: Path) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


# Distribution name (which is also the import name) -> (project directory, parsed pyproject.toml).
PROJECTS = {
    pyproject["project"]["name"]: (path.parent, pyproject)
    for path in sorted(ROOT.glob("packages/*/pyproject.toml"))
    for pyproject in [_load_pyproject(path)]
}

# Every interpreter started here must see only its own environment: no repository sources on
# PYTHONPATH, no user site-packages, no pip prompts or version checks.
_ENV = {
    key: value
    for key, value in os.environ.items()
    if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER", "PIP_PYTHON"}
}
_ENV.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")

# Generous: pip downloads numpy and Pillow wheels of several megabytes.
_TIMEOUT_S = 600

# Trains `model` on the batch (`x`, `y`) that the setup code before it defines, printing the
# losses as JSON.
_TRAIN = """
optimizer = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
losses = []
for _ in range(5):
    optimizer.zero_grad()
    loss = ember.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(json.dumps(losses))
"""

# Reports, as JSON, every installed distribution's requirements, the metadata and modules of
# the distributions named in argv[1], and whether the modules named in argv[2] (by find_spec)
# and argv[3] (by importing them) can be found.
_INSPECT = """
import importlib, importlib.metadata, importlib.util, json, sys

installed, absent, siblings = map(json.loads, sys.argv[1:])
report = {"distributions": {}, "metadata": {}, "found": {}, "import_errors": {}}
for dist in importlib.metadata.distributions():
    report["distributions"][dist.metadata["Name"]] = dist.requires or []
for name in installed:
    module = importlib.import_module(name)
    metadata = importlib.metadata.metadata(name)
    report["metadata"][name] = {
        "version": metadata["Version"],
        "provides_extra": metadata.get_all("Provides-Extra") or [],
        "module_version": module.__version__,
        "module_file": module.__file__,
    }
for name in absent:
    report["found"][name] = importlib.util.find_spec(name) is not None
for name in siblings:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        report["import_errors"][name] = ["ModuleNotFoundError", error.name]
    else:
        report["import_errors"][name] = None
print(json.dumps(report))
"""


class Scenario(NamedTuple):
    installs: tuple[str, ...]  # the wheels installed
    absent: tuple[str, ...]  # third-party modules that must not be importable
    model: str  # code defining `model` and a batch `x`, `y`


SCENARIOS = {
    "ember+embervision": Scenario(
        installs=("ember", "embervision"),
        absent=("soundfile", "starlette", "uvicorn"),
        model="""
from embervision.models import lenet5
model = lenet5()
x, y = ember.randn(8, 1, 32, 32), ember.randint(0, 10, (8,))
""",
    ),
    "ember": Scenario(
        installs=("ember",),
        absent=("PIL", "soundfile", "starlette", "uvicorn"),
        model="""
from ember import nn
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
x, y = ember.randn(8, 4), ember.randint(0, 3, (8,))
""",
    ),
}


class Environment(NamedTuple):
    scenario: Scenario
    directory: Path
    python: Path
    report: dict  # what _INSPECT printed there


def _run(*args, check=True):
    command = [str(arg) for arg in args]
    result = subprocess.run(
        command, capture_output=True, text=True, env=_ENV, timeout=_TIMEOUT_S, check=False
    )
    if check and result.returncode:
        pytest.fail(
            f"{' '.join(command)} exited with status {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def _pip(python: Path, *args, check=True):
    return _run(python, "-I", "-m", "pip", *args, check=check)


def _venv(directory: Path, *, with_pip: bool) -> Path:
    """Create a virtual environment from the running interpreter; return its python."""
    _run(sys.executable, "-m", "venv", *([] if with_pip else ["--without-pip"]), directory)
    return directory / ("Scripts" if os.name == "nt" else "bin") / "python"


def _python_script(python: Path, script: str, *args) -> object:
    """Run `script` in isolated mode (no cwd, no PYTHON* variables); parse its JSON output."""
    result = _run(python, "-I", "-c", script, *args)
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def builder(tmp_path_factory) -> Path:
    """Python of an environment holding pip and the packages' build backend."""
    python = _venv(tmp_path_factory.mktemp("builder") / "venv", with_pip=True)
    build_requires = sorted(
        {r for _, pyproject in PROJECTS.values() for r in pyproject["build-system"]["requires"]}
    )
    # pip >= 22.3 has --python, used below to install into environments without pip.
    result = _pip(python, "install", "--retries", "1", "pip>=22.3", *build_requires, check=False)
    if result.returncode:
        pytest.skip(
            f"cannot install {build_requires} from the package index:\n{result.stderr[-2000:]}"
        )
    return python


@pytest.fixture(scope="module")
def wheels(builder, tmp_path_factory) -> dict[str, Path]:
    """Wheels of all the workspace packages, by distribution name."""
    directory = tmp_path_factory.mktemp("wheels")
    # One build environment (the builder's) for all five builds, rather than one each.
    projects = [project for project, _ in PROJECTS.values()]
    _pip(builder, "wheel", "--no-deps", "--no-build-isolation", "-w", directory, *projects)
    built = {name: list(directory.glob(f"{name}-*.whl")) for name in PROJECTS}
    assert all(len(paths) == 1 for paths in built.values()), built
    return {name: paths[0] for name, paths in built.items()}


@pytest.fixture(scope="module", params=SCENARIOS)
def environment(request, builder, wheels, tmp_path_factory) -> Environment:
    """A fresh environment with only the scenario's wheels installed, and its _INSPECT report."""
    scenario = SCENARIOS[request.param]
    directory = tmp_path_factory.mktemp(request.param) / "venv"
    # The environment gets no pip of its own: the builder's pip installs into it, so all it
    # holds is what the wheels brought.
    python = _venv(directory, with_pip=False)
    # Siblings resolve to the local wheels, never to a same-named project on the index.
    find_links = ("--find-links", wheels["ember"].parent)
    installs = [wheels[name] for name in scenario.installs]
    _pip(builder, "--python", python, "install", *find_links, *installs)
    siblings = sorted(set(PROJECTS) - set(scenario.installs))
    report = _python_script(
        python, _INSPECT, *map(json.dumps, (scenario.installs, scenario.absent, siblings))
    )
    return Environment(scenario, directory, python, report)


def _declared_requires_dist(pyproject: dict) -> list[str]:
    """The Requires-Dist lines a pyproject's dependencies and optional dependencies must give."""
    project = pyproject["project"]
    requirements = [Requirement(r) for r in project.get("dependencies", [])]
    for extra, extra_requirements in project.get("optional-dependencies", {}).items():
        for requirement in map(Requirement, extra_requirements):
            condition = f'extra == "{extra}"'
            if requirement.marker is not None:
                condition = f"({requirement.marker}) and {condition}"
            requirement.marker = Marker(condition)
            requirements.append(requirement)
    return sorted(map(str, requirements))


def test_trains_a_model(environment):
    script = "import json\nimport ember\nember.manual_seed(0)\n"
    script += environment.scenario.model + _TRAIN
    losses = _python_script(environment.python, script)
    assert len(losses) == 5
    assert all(math.isfinite(loss) for loss in losses), losses
    # Five steps on one fixed batch: the model starts to fit it.
    assert losses[-1] < losses[0], losses


def test_unneeded_packages_are_absent(environment):
    report = environment.report
    found = [name for name, present in report["found"].items() if present]
    assert not found, f"installing {environment.scenario.installs} also installed {found}"
    # A sibling that was not installed fails to import cleanly, naming itself.
    for sibling, error in report["import_errors"].items():
        assert error == ["ModuleNotFoundError", sibling], f"import {sibling}: {error}"
    assert "emberaudio" in report["import_errors"]


def test_installs_only_the_dependency_closure(environment):
    """The environment holds the wheels and what their requirements pull in: nothing else."""
    requires = {
        canonicalize_name(name): reqs for name, reqs in environment.report["distributions"].items()
    }
    closure, pending = set(), list(environment.scenario.installs)
    while pending:
        name = canonicalize_name(pending.pop())
        if name not in closure:
            closure.add(name)
            for requirement in map(Requirement, requires.get(name, [])):
                # No extras are asked for.
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    pending.append(requirement.name)
    assert set(requires) == closure


def test_metadata_matches_pyproject(environment):
    report = environment.report
    for name, metadata in report["metadata"].items():
        _, pyproject = PROJECTS[name]
        requires_dist = report["distributions"][name]
        installed_requires = sorted(str(Requirement(r)) for r in requires_dist)
        assert installed_requires == _declared_requires_dist(pyproject), name
        extras = sorted(pyproject["project"].get("optional-dependencies", {}))
        assert sorted(metadata["provides_extra"]) == extras, name
        assert metadata["version"] == metadata["module_version"], name
        # Imported from the environment, not from the repository's sources.
        assert Path(metadata["module_file"]).is_relative_to(environment.directory), name
