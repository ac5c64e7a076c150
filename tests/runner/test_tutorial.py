"""The seeds' full tutorial script (the end of section 4 of the Metamist/Docker tutorial) run through
``genolog analysis-runner`` as section 5 runs it, with only its import lines changed.

The script is read from the seed file itself. Its imports change: ``cpg_utils`` becomes ``genolog``,
``metamist.graphql`` becomes ``genolog.client`` (the real metadata server answers), and ``metamist.apis``
/ ``metamist.model`` become a small stand-in that calls the server's ``createAnalysis`` REST route.
``fastqe`` is the stand-in command of the batch tutorial test, on the driver's PATH.

As written, the script's ``create_analysis_entry`` registers an analysis linked to no sequencing group,
which metamist's ``createAnalysis`` refuses (REFERENCE 1.3) and so does genolog's: its FastQE jobs
succeed and publish their reports, the registration jobs fail with the server's reason, and the run is
recorded as failed. With the one-argument fix (``sequencing_group_ids=[sgid]``) the whole tutorial succeeds.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from tests.batch.test_batch_seed_fastqe import STANDIN_FASTQE, _write_fastq
from tests.metadata.support import sample_with_group
from tests.runner.conftest import DATASET, Server, cli, git

SEED = Path(__file__).parents[3] / "shared" / "seeds" / "003_d650ff601d4fed14.txt"
SEED = SEED if SEED.exists() else Path("/work/shared/seeds/003_d650ff601d4fed14.txt")

IMPORTS = {
    "from cpg_utils.config import get_config": "from genolog.config import get_config",
    "from cpg_utils.hail_batch import command, get_batch, image_path, output_path": (
        "from genolog.batch.helpers import command, get_batch, image_path, output_path"
    ),
    "from metamist.graphql import gql, query": "from genolog.client import gql, query",
    "from cpg_utils import to_path": "from genolog.paths import to_path",
    "from metamist.apis import AnalysisApi": "from standin_metamist import AnalysisApi",
    "from metamist.model.analysis import Analysis": "from standin_metamist import Analysis",
    "from metamist.model.analysis_status import AnalysisStatus": "from standin_metamist import AnalysisStatus",
}


FIX = (
    "            active=active,\n",
    "            active=active,\n            sequencing_group_ids=[sgid],\n",
)


def tutorial_script(fixed: bool = False) -> str:
    """The 'Putting it all together' script of section 4, its import lines rewritten (nothing else unless
    ``fixed``: then the analysis is also linked to its sequencing group)."""
    text = SEED.read_text()
    section = text[text.index("Putting it all together") :]
    script = re.search(r"```python\n(.*?)```", section, re.S)
    assert script, "the seed's full script was not found"
    lines = script.group(1).splitlines(keepends=True)
    changed = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped in IMPORTS:
            lines[i] = line.replace(stripped, IMPORTS[stripped])
            changed.add(stripped)
        else:
            assert not stripped.startswith(("from cpg_utils", "from metamist", "import cpg_utils")), line
    assert changed == set(IMPORTS)
    script_text = "".join(lines)
    if fixed:
        assert script_text.count(FIX[0]) == 1
        script_text = script_text.replace(*FIX)
    return script_text


@pytest.fixture
def ingested(server: Server, tmp_path: Path) -> dict[str, int]:
    """Three sequencing groups in sandbox-test with paired local FASTQ files: sg id -> reads per file."""
    rng = random.Random(5)
    reads_dir = tmp_path / "reads"
    reads_dir.mkdir()
    counts = {"S1": 25, "S2": 40, "S3": 10}
    samples = []
    for name, n in counts.items():
        paths = [reads_dir / f"{name}_R{mate}.fq.gz" for mate in (1, 2)]
        for path in paths:
            _write_fastq(path, n, rng)
        samples.append(sample_with_group(name, *map(str, paths)))
    results = server.api.ok("PUT", f"/sample/{DATASET}-test/upsert-many", json=samples)
    body = server.api.ok(
        "POST",
        "/graphql",
        base="",
        json={
            "query": '{ project(name: "sandbox-test") { samples { externalId sequencingGroups { id } } } }'
        },
    )
    assert results
    return {
        s["sequencingGroups"][0]["id"]: counts[s["externalId"]] for s in body["data"]["project"]["samples"]
    }


@pytest.mark.parametrize("fixed", [False, True], ids=["imports-only", "linked-analyses"])
def test_the_tutorial_script_runs_through_the_analysis_runner(
    server: Server,
    ingested: dict[str, int],
    repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fixed: bool,
) -> None:
    server.act_as("writer")  # registering analyses needs write access to sandbox-test
    (repo / "scripts" / "metamist_docker_tutorial.py").write_text(tutorial_script(fixed))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the tutorial")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "fastqe").write_text(STANDIN_FASTQE)
    (bin_dir / "fastqe").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    images = tmp_path / "images.toml"
    images.write_text('[images]\nfastqe = "fastqe_image:1.0.0"\n')
    sgids = sorted(ingested)

    result = cli(
        "analysis-runner",
        "--dataset", DATASET,
        "--description", "Testing running tutorial",
        "--output-dir", "sandbox_fastqe",
        "--access-level", "test",
        "--image", "australia-southeast1-docker.pkg.dev/cpg-common/images/cpg_workflows:latest",
        "--config", str(images),
        "-e", f"PYTHONPATH={Path(__file__).parent}",  # the stand-in for metamist.apis
        "python3", "scripts/metamist_docker_tutorial.py", "--project", "sandbox-test", "--sgids", *sgids,
    )  # fmt: skip

    output = result.stdout + result.stderr
    [run] = server.runs(f"{DATASET}-test")
    assert (
        run["commit"] == git(repo, "rev-parse", "HEAD") and run["description"] == "Testing running tutorial"
    )
    web = tmp_path / "data" / f"{DATASET}-test-web" / "sandbox_fastqe"
    assert sorted(p.name for p in web.iterdir()) == [f"{sg}.html" for sg in sgids]
    for sg, n in ingested.items():
        assert f"_R1.fq.gz: {n} reads" in (web / f"{sg}.html").read_text()
    body = server.api.ok(
        "POST",
        "/graphql",
        base="",
        json={"query": '{ project(name: "sandbox-test") { analyses { type status active meta output } } }'},
    )
    analyses = body["data"]["project"]["analyses"]
    if not fixed:
        assert result.exit_code == 1 and (run["status"], run["exit_code"]) == ("failed", 1)
        log = Path(run["meta"]["log_path"]).read_text()
        assert "HTTP 400: An analysis must be linked to at least one sequencing group or cohort" in log
        assert analyses == []
        return
    assert result.exit_code == 0, output[-4000:]
    assert run["status"] == "succeeded" and run["exit_code"] == 0
    assert len(analyses) == len(sgids)
    assert {a["type"] for a in analyses} == {"web"} and {a["status"] for a in analyses} == {"COMPLETED"}
    urls = sorted(a["meta"]["display_url"] for a in analyses)
    assert [u.rsplit("/", 2)[-2:] for u in urls] == [["sandbox_fastqe", f"{sg}.html"] for sg in sgids]
