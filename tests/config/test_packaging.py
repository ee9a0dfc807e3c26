"""Issue 23, points 8-10: the image runs as a non-root user and installs the hash-pinned lock;
the locks hold every dependency pyproject.toml declares; `make test` (what .ci/run calls) runs
the lint, format and migration checks before pytest, and pre-commit runs the same ones."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    lines = [line.strip() for line in joined.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def test_the_image_runs_as_a_user_that_is_not_root():
    instructions = _instructions()
    users = [(i, arg.strip()) for i, (op, arg) in enumerate(instructions) if op == "USER"]
    assert users, "the Dockerfile never leaves root"
    last_index, user = users[-1]
    assert user.split(":")[0] not in ("root", "0")
    # Nothing after the switch runs as root again, and the user is created before it.
    assert all(op != "RUN" for op, _ in instructions[last_index:])
    created = " ".join(arg for op, arg in instructions[:last_index] if op == "RUN")
    assert re.search(rf"useradd\b[^&]*\b{re.escape(user)}\b", created)


def test_the_image_installs_the_hash_pinned_lock():
    runs = " ".join(arg for op, arg in _instructions() if op == "RUN")
    assert "--require-hashes -r requirements.lock" in runs
    # The project itself on top, without letting pip resolve anything the lock did not pin.
    assert re.search(r"pip install [^&]*--no-deps \.", runs)


def _locked(name: str) -> dict[str, str]:
    pins = {}
    text = (ROOT / name).read_text()
    for match in re.finditer(r"^([A-Za-z0-9._-]+)==(\S+) \\\n\s+--hash=sha256:", text, re.M):
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("requirements.lock", ["main"]), ("requirements-dev.lock", ["main", "dev"])],
)
def test_every_declared_dependency_is_pinned_with_a_hash(lock, groups):
    """A dependency added to pyproject.toml without `make lock` fails here."""
    pins = _locked(lock)
    declared = {
        "main": PYPROJECT["project"]["dependencies"],
        "dev": PYPROJECT["project"]["optional-dependencies"]["dev"],
    }
    missing, outside = [], []
    for group in groups:
        for line in declared[group]:
            requirement = Requirement(line)
            version = pins.get(canonicalize_name(requirement.name))
            if version is None:
                missing.append(requirement.name)
            elif not requirement.specifier.contains(version, prereleases=True):
                outside.append(f"{requirement} (locked {version})")
    assert not missing and not outside, f"run `make lock`: missing {missing}, outside {outside}"


def test_dev_only_packages_stay_out_of_the_product_lock():
    product = _locked("requirements.lock")
    for name in ("pytest", "ruff", "openpyxl", "hypothesis", "schemathesis"):
        assert canonicalize_name(name) not in product, name


def _recipe(target: str) -> tuple[list[str], list[str]]:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:(.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert match, f"no `{target}` target"
    commands = [line.strip().lstrip("@") for line in match.group(2).splitlines()]
    return match.group(1).split(), [c for c in commands if not c.startswith("#")]


CHECKS = ("ruff check", "ruff format --check", "manage.py makemigrations --check --dry-run")


def test_make_test_runs_the_checks_before_pytest():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    prerequisites, commands = _recipe("test")
    assert "check" in prerequisites
    assert any("pytest" in command for command in commands)
    _, checks = _recipe("check")
    for check in CHECKS:
        assert any(check in command for command in checks), check
    _, installs = _recipe("install")
    assert any("--require-hashes -r requirements-dev.lock" in c for c in installs)
    _, locks = _recipe("lock")
    assert sum("compile pyproject.toml" in c for c in locks) == 2


def test_pre_commit_runs_the_same_checks():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    for check in CHECKS:
        assert any(check in entry for entry in entries), check


def test_ruff_applies_its_exclusions_to_files_pre_commit_names():
    ruff = PYPROJECT["tool"]["ruff"]
    assert ruff["force-exclude"] is True
    assert "*/migrations/*" in ruff["extend-exclude"]
