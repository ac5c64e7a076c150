"""Building genolog's images without any image registry: a Debian base from Debian's own packages
(debootstrap), then ``images/<name>/Dockerfile`` on top of it, with everything the build needs put into
its context beforehand, so builds need no network. What goes into the context is the image's choice
(``context`` in ``images/<name>/image.toml``, steps of `CONTEXT_STEPS`): by default genolog's package
as files and the wheels of the folder's ``requirements.txt``; the server image asks for genolog itself
as a wheel built from the source checkout, with every dependency as wheels.

Each built image is tagged ``localhost/genolog/<name>:<version>`` (the version from
``images/<name>/VERSION``, else genolog's) and recorded in ``<data dir>/images.toml``: its ``[images]``
table is what `image_path` reads in genolog's default config and in the analysis runner's, and
``[images_built]`` keeps each image's id and build time.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tomli_w

import genolog
from genolog import __version__
from genolog.config import images_record_file
from genolog.containers._engine import ContainerError, Engine

BASE_NAME = "localhost/genolog/base"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
#: What debootstrap leaves that no build uses (builds have no network, so no apt-get either): the
#: downloaded packages and apt's package lists, a third of the base image. ``apt-get update`` restores the lists.
BASE_LEFTOVERS = ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*_*")
Progress = Callable[[str], None]


def images_folder() -> Path:
    """The Dockerfiles: inside the installed package (the wheel ships them), else the source checkout."""
    package = Path(genolog.__file__).resolve().parent
    for candidate in (package / "images", package.parents[1] / "images"):
        if candidate.is_dir():
            return candidate
    raise ContainerError(f"genolog's image definitions are not installed (looked in {package / 'images'})")


def image_names() -> list[str]:
    return sorted(p.name for p in images_folder().iterdir() if (p / "Dockerfile").is_file())


def image_tag(name: str) -> str:
    folder = images_folder() / name
    version_file = folder / "VERSION"
    version = version_file.read_text().strip() if version_file.is_file() else __version__
    return f"localhost/genolog/{name}:{version}"


# -- the base image -----------------------------------------------------------------------------
def debian_release() -> tuple[str, str]:
    """(suite, mirror) of this machine's own Debian: the codename from os-release and the first
    archive in its apt sources, so the base image matches the host and uses the mirror it uses."""
    release = Path("/etc/os-release")
    fields = (
        dict(line.split("=", 1) for line in release.read_text().splitlines() if "=" in line)
        if release.exists()
        else {}
    )
    suite = fields.get("VERSION_CODENAME", "").strip('"')
    mirror = ""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))]
    for source in sources:
        if not source.is_file():
            continue
        for line in source.read_text().splitlines():
            words = line.split()
            if line.startswith("URIs:") and len(words) > 1 and "security" not in words[1]:
                mirror = words[1]
            elif line.startswith("deb ") and len(words) > 2 and "security" not in line:
                mirror = next((w for w in words[1:] if "://" in w), "")
            if mirror:
                break
        if mirror:
            break
    if not suite or not mirror:
        raise ContainerError(
            "cannot tell this machine's Debian release and mirror: pass --suite and --mirror"
        )
    return suite, mirror


def build_base(engine: Engine, suite: str | None, mirror: str | None, progress: Progress) -> str:
    """debootstrap a minimal Debian with Python into a folder and import it as the base image; returns
    its tag (``localhost/genolog/base:<suite>``, also tagged ``latest``)."""
    if shutil.which("debootstrap") is None:
        raise ContainerError("the base image needs debootstrap (Debian: apt-get install debootstrap)")
    if not (suite and mirror):
        found_suite, found_mirror = debian_release()
        suite, mirror = suite or found_suite, mirror or found_mirror
    tag = f"{BASE_NAME}:{suite}"
    replaced = engine.image_id(tag)
    with tempfile.TemporaryDirectory(prefix="genolog-base-") as tmp:
        root = Path(tmp) / "root"
        command = [
            "debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", suite, str(root), mirror,
        ]  # fmt: skip
        _stream(command, progress, f"debootstrap {suite}")
        for pattern in BASE_LEFTOVERS:
            for leftover in root.glob(pattern):
                leftover.unlink()
        progress(f"importing the root file system as {tag}")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            engine.argv("import", "--change", 'CMD ["/bin/bash"]', "-", tag),
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise ContainerError(f"importing the base image failed: {imported.stderr.strip()}")
    tagged = engine.run("tag", tag, f"{BASE_NAME}:latest")
    if tagged.returncode != 0:
        raise ContainerError(f"tagging {tag} as latest failed: {tagged.stderr.strip()}")
    remove_replaced(engine, replaced, engine.image_id(tag))
    return tag


# -- images from their Dockerfiles ---------------------------------------------------------------
@dataclass
class BuiltImage:
    name: str
    tag: str
    id: str


def build_image(engine: Engine, name: str, base: str | None, progress: Progress) -> BuiltImage:
    """Build ``images/<name>/Dockerfile`` on the base image; record and return it."""
    if name not in image_names():
        raise ContainerError(f"no image {name!r}: genolog's images are {', '.join(image_names())}")
    base = base or f"{BASE_NAME}:latest"
    if engine.image_id(base) is None:
        raise ContainerError(f"the base image {base} is missing: build it first with `genolog images base`")
    folder = images_folder() / name
    tag = image_tag(name)
    replaced = engine.image_id(tag)
    with tempfile.TemporaryDirectory(prefix=f"genolog-image-{name}-") as tmp:
        context = BuildContext(Path(tmp), folder, engine, base, progress)
        shutil.copy(folder / "Dockerfile", context.path / "Dockerfile")
        context.wheels.mkdir()
        (context.wheels / "requirements.txt").write_text("")
        for step in context_steps(folder):
            CONTEXT_STEPS[step](context)
        image_id = build_context(engine, context.path, base, tag, progress)
    record(name, tag, image_id)
    remove_replaced(engine, replaced, image_id)
    return BuiltImage(name, tag, image_id)


# -- what goes into a build's context ----------------------------------------------------------
@dataclass
class BuildContext:
    """A build's context folder while `CONTEXT_STEPS` fill it, and what they need to know."""

    path: Path
    folder: Path  # images/<name>
    engine: Engine
    base: str
    progress: Progress

    @property
    def wheels(self) -> Path:
        return self.path / "wheels"

    @functools.cached_property
    def python(self) -> str:
        """The ``major.minor`` of the base image's Python, which the wheels are downloaded for."""
        return base_python_version(self.engine, self.base)


def add_genolog_package(context: BuildContext) -> None:
    """``genolog/``: the genolog package this command runs from, as files (pure Python)."""
    package = Path(genolog.__file__).resolve().parent
    shutil.copytree(package, context.path / "genolog", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def add_requirements(context: BuildContext) -> None:
    """``wheels/``: the folder's ``requirements.txt`` and the wheels it names, with their dependencies."""
    requirements = context.folder / "requirements.txt"
    if requirements.is_file():
        shutil.copy(requirements, context.wheels / "requirements.txt")
        download_wheels(context.wheels, context.python, context.progress)


def add_genolog_wheel(context: BuildContext) -> None:
    """``wheels/``: genolog built as a wheel from its source checkout (the code this command runs), with
    its dependencies as wheels; ``pip install --no-index --find-links wheels genolog`` installs it."""
    root = source_checkout()
    context.progress(f"building genolog's wheel from {root}")
    _stream(
        [
            sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
            "--wheel-dir", str(context.wheels), str(root),
        ],
        context.progress,
        "pip wheel",
    )  # fmt: skip
    [wheel] = context.wheels.glob("genolog-*.whl")
    download_wheels(context.wheels, context.python, context.progress, [wheel.name])


CONTEXT_STEPS: dict[str, Callable[[BuildContext], None]] = {
    "genolog-package": add_genolog_package,
    "requirements": add_requirements,
    "genolog-wheel": add_genolog_wheel,
}
DEFAULT_CONTEXT = ("genolog-package", "requirements")


def context_steps(folder: Path) -> list[str]:
    """The steps an image's context needs: ``context`` in its ``image.toml``, else `DEFAULT_CONTEXT`."""
    declared = folder / "image.toml"
    if not declared.is_file():
        return list(DEFAULT_CONTEXT)
    try:
        steps = tomllib.loads(declared.read_text()).get("context", list(DEFAULT_CONTEXT))
    except tomllib.TOMLDecodeError as e:
        raise ContainerError(f"{declared} is not valid TOML: {e}") from None
    if not isinstance(steps, list):
        raise ContainerError(f"{declared}: context must be a list of steps, such as {list(DEFAULT_CONTEXT)}")
    unknown = [s for s in steps if s not in CONTEXT_STEPS]
    if unknown:
        raise ContainerError(
            f"{declared}: unknown context steps {unknown}; known: {', '.join(CONTEXT_STEPS)}"
        )
    return [str(s) for s in steps]


def source_checkout() -> Path:
    """The source checkout genolog runs from (its pyproject.toml beside ``src/``): the wheel's source."""
    root = Path(genolog.__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        with contextlib.suppress(tomllib.TOMLDecodeError):
            if tomllib.loads(pyproject.read_text()).get("project", {}).get("name") == "genolog":
                return root
    raise ContainerError(
        "this image installs genolog as a wheel built from its source checkout, but genolog runs from "
        f"{Path(genolog.__file__).parent}, not from a checkout: run `genolog images build` from a clone "
        "(pip install -e . or PYTHONPATH=src)"
    )


def remove_replaced(engine: Engine, old: str | None, new: str | None) -> None:
    """Remove the image a rebuild took the tag from, so rebuilds do not pile up untagged images. An
    image still in use (by a container, or as another image's base) stays: the engine refuses."""
    if old and old != new:
        engine.run("image", "rm", old)


def download_wheels(
    wheels: Path, python: str, progress: Progress, requirements: Sequence[str] = ("-r", "requirements.txt")
) -> None:
    """Download `requirements` (pip's arguments, relative to `wheels`: ``wheels/requirements.txt``
    unless told, or a wheel file) and their dependencies as wheels for `python` (``3.11``) on this
    machine's architecture into `wheels`, so the build itself needs no network."""
    progress(f"downloading the wheels of {' '.join(requirements)} for Python {python}")
    _stream(
        [
            sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary=:all:",
            f"--python-version={python}", f"--platform=manylinux2014_{platform.machine()}",
            "--dest", ".", *requirements,
        ],
        progress,
        "pip download",
        cwd=wheels,
    )  # fmt: skip


def build_context(engine: Engine, context: Path, base: str, tag: str, progress: Progress) -> str:
    """Build the Dockerfile in `context` on `base` without network, tag it `tag`; returns its id."""
    # podman writes OCI images by default, which have no field for HEALTHCHECK (it would be dropped)
    docker_format = ["--format", "docker"] if engine.kind == "podman" else []
    _stream(
        engine.argv(
            "build", "--network=none", *docker_format, "--build-arg", f"BASE={base}", "-t", tag, str(context)
        ),
        progress,
        f"{engine.kind} build {tag}",
    )
    image_id = engine.image_id(tag)
    if image_id is None:
        raise ContainerError(f"{engine.kind} built {tag} but cannot find it")
    return image_id


def base_python_version(engine: Engine, base: str) -> str:
    """The ``major.minor`` of the Python in the image `base`."""
    answer = engine.run(
        "run", "--rm", "--network=none", base, "python3", "-c",
        "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
    )  # fmt: skip
    if answer.returncode != 0:
        raise ContainerError(f"cannot run python3 in the base image {base}: {answer.stderr.strip()}")
    return answer.stdout.strip()


def _stream(command: list[str], progress: Progress, what: str, cwd: Path | None = None) -> None:
    """Run a long command, passing each output line to ``progress``; its tail goes into the error."""
    tail: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", cwd=cwd
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            if line:
                tail = [*tail[-19:], line]
                progress(f"{what}: {line}")
    if proc.returncode != 0:
        raise ContainerError(f"{what} failed (exit code {proc.returncode}):\n" + "\n".join(tail))


# -- the record --------------------------------------------------------------------------------
def recorded(data_dir: Path | None = None) -> dict[str, dict[str, str]]:
    """name -> {"image", "id", "built"} of the images built here."""
    path = images_record_file(data_dir)
    if not path.is_file():
        return {}
    document = tomllib.loads(path.read_text())
    built = document.get("images_built", {})
    return {
        name: {"image": image, **built.get(name, {})} for name, image in document.get("images", {}).items()
    }


def record(name: str, tag: str, image_id: str, data_dir: Path | None = None) -> None:
    images = recorded(data_dir)
    images[name] = {"image": tag, "id": image_id, "built": datetime.datetime.now(datetime.UTC).isoformat()}
    document = {
        "images": {n: v["image"] for n, v in sorted(images.items())},
        "images_built": {n: {k: v[k] for k in ("id", "built") if k in v} for n, v in sorted(images.items())},
    }
    path = images_record_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# written by `genolog images build`\n" + tomli_w.dumps(document))
