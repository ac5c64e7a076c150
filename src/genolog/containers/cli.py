"""``genolog images``: build the base image and genolog's tool images, and list them; nothing else."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from genolog.containers import (
    ContainerError,
    build_base,
    build_image,
    find_engine,
    image_names,
    image_tag,
    recorded,
)

images_app = typer.Typer(
    help="Container images: a Debian base from Debian's packages, genolog's tool images on it.",
    no_args_is_help=True,
)
console = Console(stderr=True, soft_wrap=True)
EngineOption = Annotated[
    str | None,
    typer.Option("--engine", help="podman or docker (default: $GENOLOG_CONTAINER_RUNTIME, else podman)"),
]


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner showing the elapsed time and the build's latest line; errors exit 1 with the message."""
    started = time.monotonic()
    try:
        with console.status(escape(title)) as status:

            def show(line: str) -> None:
                status.update(
                    f"{escape(title)} [dim]({time.monotonic() - started:.0f} s) {escape(line[:110])}[/]"
                )

            yield show
    except ContainerError as e:
        console.print(f"[red]genolog images: {escape(str(e))}[/]")
        raise typer.Exit(1) from None


@images_app.command("base")
def base(
    suite: Annotated[str | None, typer.Option(help="Debian suite (default: this machine's)")] = None,
    mirror: Annotated[
        str | None, typer.Option(help="Debian mirror (default: this machine's apt source)")
    ] = None,
    engine: EngineOption = None,
) -> None:
    """Build the minimal Debian base image (debootstrap + Python), which genolog's images start from."""
    with _progress("building the base image") as show:
        tag = build_base(find_engine(engine), suite, mirror, show)
    console.print(f"built {tag} (also tagged latest)")


@images_app.command("build")
def build(
    name: Annotated[str, typer.Argument(help="An image under images/, e.g. fastqe")],
    base_image: Annotated[str | None, typer.Option("--base", help="Base image (default: genolog's)")] = None,
    engine: EngineOption = None,
) -> None:
    """Build images/NAME/Dockerfile, tag it localhost/genolog/NAME:VERSION and record it in [images]."""
    with _progress(f"building {name}") as show:
        built = build_image(find_engine(engine), name, base_image, show)
    console.print(f"built {built.tag} ({built.id[:12]}); recorded as \\[images] {name}")


@images_app.command("list")
def list_images(
    engine: EngineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """genolog's images: their tags, whether this machine has them, and what [images] records."""
    try:
        found = find_engine(engine)
    except ContainerError as e:
        console.print(f"[red]genolog images: {escape(str(e))}[/]")
        raise typer.Exit(1) from None
    record = recorded()
    rows: list[dict[str, str | None]] = []
    for name in image_names():
        tag = image_tag(name)
        rows.append(
            {
                "name": name,
                "image": tag,
                "id": found.image_id(tag),
                "recorded": record.get(name, {}).get("image"),
                "built": record.get(name, {}).get("built"),
            }
        )
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("name", "image", "present", "recorded in [images]", "built")
    for row in rows:
        name, image_id = row["name"] or "", row["id"]
        present = image_id[:19] if image_id else f"[red]missing[/] (genolog images build {name})"
        table.add_row(name, row["image"], present, row["recorded"] or "", row["built"] or "")
    Console().print(table)
