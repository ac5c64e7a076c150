"""Building genolog's images without any image registry: a Debian base from Debian's own packages
(debootstrap), then ``images/<name>/Dockerfile`` on top of it, with everything the build needs put into
its context beforehand (genolog's package and its dependencies as wheels), so builds need no network.

Each built image is tagged ``localhost/genolog/<name>:<version>`` (the version from
``images/<name>/VERSION``, else genolog's) and recorded in ``<data dir>/images.toml``: its ``[images]``
table is what `image_path` reads in genolog's default config and in the analysis runner's, and
``[images_built]`` keeps each image's id and build time.
"""

from __future__ import annotations

import datetime
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomli_w

import genolog
from genolog import __version__
from genolog.config import images_record_file
from genolog.containers._engine import ContainerError, Engine

BASE_NAME = "localhost/genolog/base"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
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
        context = Path(tmp)
        shutil.copy(folder / "Dockerfile", context / "Dockerfile")
        package = Path(genolog.__file__).resolve().parent
        shutil.copytree(package, context / "genolog", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        wheels = context / "wheels"
        wheels.mkdir()
        requirements = folder / "requirements.txt"
        if requirements.is_file():
            shutil.copy(requirements, wheels / "requirements.txt")
            download_wheels(wheels, base_python_version(engine, base), progress)
        else:
            (wheels / "requirements.txt").write_text("")
        image_id = build_context(engine, context, base, tag, progress)
    record(name, tag, image_id)
    remove_replaced(engine, replaced, image_id)
    return BuiltImage(name, tag, image_id)


def remove_replaced(engine: Engine, old: str | None, new: str | None) -> None:
    """Remove the image a rebuild took the tag from, so rebuilds do not pile up untagged images. An
    image still in use (by a container, or as another image's base) stays: the engine refuses."""
    if old and old != new:
        engine.run("image", "rm", old)


def download_wheels(wheels: Path, python: str, progress: Progress) -> None:
    """Download ``wheels/requirements.txt`` and its dependencies as wheels for `python` (``3.11``) on
    this machine's architecture into `wheels`, so the build itself needs no network."""
    progress(f"downloading the wheels of requirements.txt for Python {python}")
    _stream(
        [
            sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary=:all:",
            f"--python-version={python}", f"--platform=manylinux2014_{platform.machine()}",
            "--dest", str(wheels), "-r", str(wheels / "requirements.txt"),
        ],
        progress,
        "pip download",
    )  # fmt: skip


def build_context(engine: Engine, context: Path, base: str, tag: str, progress: Progress) -> str:
    """Build the Dockerfile in `context` on `base` without network, tag it `tag`; returns its id."""
    _stream(
        engine.argv("build", "--network=none", "--build-arg", f"BASE={base}", "-t", tag, str(context)),
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


def _stream(command: list[str], progress: Progress, what: str) -> None:
    """Run a long command, passing each output line to ``progress``; its tail goes into the error."""
    tail: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
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
