"""gs:// and s3:// inputs, outputs and config files, against cloudpathlib's local stand-in buckets."""

from __future__ import annotations

from pathlib import Path

import pytest

from genolog import config
from genolog.batch import Batch, LocalBackend
from genolog.paths import output_path, to_path


@pytest.mark.usefixtures("fake_buckets")
def test_cloud_input_and_outputs_round_trip(backend: LocalBackend) -> None:
    to_path("gs://cpg-in/reads/sample 1.txt").write_text("ACGT\n")
    b = Batch(backend=backend)
    inp = b.read_input("gs://cpg-in/reads/sample 1.txt")
    j = b.new_job("upper")
    j.command(f"tr ACGT TGCA < {inp} > {j.ofile}")
    b.write_output(j.ofile, "s3://results/out/complement.txt")
    b.write_output(inp, "gs://cpg-in/copy/sample.txt")
    b.run()
    assert to_path("s3://results/out/complement.txt").read_text() == "TGCA\n"
    assert to_path("gs://cpg-in/copy/sample.txt").read_text() == "ACGT\n"


@pytest.mark.usefixtures("fake_buckets")
def test_config_files_can_live_in_a_bucket(tmp_path: Path) -> None:
    to_path("gs://configs/base.toml").write_text(
        '[workflow]\noutput_prefix = "run"\n[storage.default]\ndefault = "gs://cpg-x-test"\n'
    )
    config.set_config_paths(["gs://configs/base.toml"])
    assert output_path("a.txt") == "gs://cpg-x-test/run/a.txt"
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.set_config_paths(["gs://configs/missing.toml"])
