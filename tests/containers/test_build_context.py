"""What an image's build context gets (``images/<name>/image.toml``), without building anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from genolog.containers import ContainerError, image_names
from genolog.containers.build import DEFAULT_CONTEXT, context_steps, images_folder, source_checkout


def test_the_images_declare_their_context_steps() -> None:
    assert {"fastqe", "server"} <= set(image_names())
    assert context_steps(images_folder() / "fastqe") == list(DEFAULT_CONTEXT)
    assert context_steps(images_folder() / "server") == ["genolog-wheel"]
    # the server's wheel is built from the checkout these tests run from
    assert (source_checkout() / "src" / "genolog" / "__init__.py").is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('context = ["genolog-wheel", "docs"]', "unknown context steps ['docs']"),
        ('context = "genolog-wheel"', "context must be a list of steps"),
        ("context = [", "is not valid TOML"),
    ],
)
def test_a_bad_image_toml_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "image.toml").write_text(text)
    with pytest.raises(ContainerError, match=message.replace("[", r"\[")):
        context_steps(tmp_path)
