"""The tutorial's FastQE batch (section 3 of the Metamist/Docker tutorial), with only its imports changed.

The script text below is the tutorial's, except the import block: `cpg_utils` becomes `genolog`, and
`metamist.graphql` becomes a stand-in answering from a JSON file (the metadata server is tested
elsewhere). `fastqe` is a stand-in shell command on PATH that reports read counts as HTML.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import runpy
import sys
from pathlib import Path

import pytest

from genolog import config

SCRIPT = '''
import os
from argparse import ArgumentParser

from genolog.config import get_config
from genolog.batch.helpers import command, get_batch, image_path, output_path
from standin_metamist_graphql import gql, query

SG_ASSAY_QUERY = gql(
    """
    query ($project: String!, $sgids: [String!]) {
        sequencingGroups(
            project: {eq: $project},
            id: {in_: $sgids}
        ) {
            id
            assays {
                id
                meta
            }
        }
    }
    """
)


def get_assays(project: str, sgids: list) -> list[str]:
    """
    Queries the specified project for sequencing groups and assays, and returns a dictionary mapping sequencing group IDs to read locations.

    Args:
        project (str): The name of the project to query.

    Returns:
        dict: A dictionary where each key is a sequencing group ID and each value is a list of read locations for that sequencing group.
    """
    sg_assay_map = {}

    # Use the query template above to query the sequencing groups and assays
    query_response = query(SG_ASSAY_QUERY, {"project": project, "sgids": sgids})
    for sg in query_response['sequencingGroups']:
        sg_id = sg['id']
        for assay in sg['assays']:
            assay_meta = assay['meta']
            reads = assay_meta.get('reads')
            if reads is None:
                continue
            else:
                read_locations = [read['location'] for read in reads]
            sg_assay_map[sg_id] = read_locations

    return sg_assay_map


def main(project: str, sgids: list[str]):
    # region: metadata queries
    # This section is all executed prior to the workflow being scheduled,
    # so we have access to all variables

    # Metamist query for files
    file_dict = get_assays(project, sgids)
    # endregion

    # region: Batch time
    b = get_batch('Schedule some worker tasks')
    for sg, files in file_dict.items():
        # check that we have 2 files (assuming FQ, rather than BAM)
        assert len(files) == 2

        # Create a job for each sequencingGroup
        j = b.new_job('FastQE', {'tool': 'fastqe'})

        # Set the docker image to use in this job
        # this pulls the image path from the portion of the config
        # populated by the images repository
        j.image(image_path('fastqe'))
        j.storage('1Gi') # add some extra storage for the job

        # read data into the batch tmp resource location
        file_1 = b.read_input(files[0])
        file_2 = b.read_input(files[1])

        # Set the command to run
        # batch.read_input will create a new path like /io/batch/75264c/CPGAAAA_1.fq.gz
        # accessible from inside the job container, and unique to this batch/job
        cmd = f'fastqe {file_1} {file_2} --html > {j.out_fastqe}'
        j.command(command(cmd))

        # read the output out into GCP
        # The helper method output_path() will create a new path based on the current project,
        # test/main, and the output prefix provided to analysis_runner
        # -o my_output
        # --dataset my-dataset
        # --access_level test
        # output_path('this_file.txt')
        # -> gs://cpg-my-dataset-test/my_output/this_file.txt
        b.write_output(
            j.out_fastqe, output_path(f'{sg}.html', category='web')
        )  # category='web' writes it to the web bucket
    b.run(wait=False)

    # endregion


if __name__ == '__main__':
    # optional direct input of samples
    parser = ArgumentParser(description='Hail Batch FastQE')
    parser.add_argument('--project', help='Project name', required=True)
    parser.add_argument(
        '--sgids', nargs='+', help='Sequencing group IDs', required=True
    )
    args, fails = parser.parse_known_args()

    if fails:
        raise ValueError(f'Failed to parse arguments: {fails}')
    main(project=args.project, sgids=args.sgids)
'''

STANDIN_GRAPHQL = '''
"""Stand-in for metamist.graphql: answers every query from $STANDIN_METAMIST_RESPONSE."""
import json
import os


def gql(text):
    return text


def query(_query, variables):
    with open(os.environ["STANDIN_METAMIST_RESPONSE"]) as f:
        response = json.load(f)
    wanted = set(variables["sgids"])
    return {"sequencingGroups": [sg for sg in response["sequencingGroups"] if sg["id"] in wanted]}
'''

# Stand-in fastqe: one HTML line per input file with its read count (reads are 4 lines each).
STANDIN_FASTQE = """#!/usr/bin/env bash
set -euo pipefail
echo "<html><body>"
for f in "$@"; do
  case "$f" in --*) continue ;; esac
  echo "<p>$(basename "$f"): $(( $(gzip -dc "$f" | wc -l) / 4 )) reads</p>"
done
echo "</body></html>"
"""


def _write_fastq(path: Path, reads: int, rng: random.Random) -> None:
    with gzip.open(path, "wt") as f:
        for i in range(reads):
            seq = "".join(rng.choice("ACGT") for _ in range(50))
            qual = "".join(chr(33 + rng.randrange(41)) for _ in range(50))
            f.write(f"@read{i}\n{seq}\n+\n{qual}\n")


@pytest.mark.parametrize("backend", ["local", pytest.param("slurm", marks=pytest.mark.slow)])
def test_tutorial_fastqe_batch_runs_with_only_imports_changed(
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    """The same script on the local backend and on Slurm: only ``[hail] backend`` differs."""
    backend_config = '[hail]\nbackend = "local"\n'
    if backend == "slurm":
        request.getfixturevalue("slurm")  # a running cluster
        backend_config = f'[hail]\nbackend = "slurm"\n[slurm]\nscratch = "{tmp_path / "shared"}"\n'
    rng = random.Random(3)
    reads_dir = tmp_path / "reads (upload)"
    reads_dir.mkdir()
    sgs = {"CPG11": 25, "CPG22": 40, "CPG33": 10}
    response = {"sequencingGroups": []}
    for sg, n in sgs.items():
        locations = []
        for mate in (1, 2):
            path = reads_dir / f"{sg}_R{mate}.fq.gz"
            _write_fastq(path, n, rng)
            locations.append({"location": str(path)})
        response["sequencingGroups"].append({"id": sg, "assays": [{"id": 1, "meta": {"reads": locations}}]})
    (tmp_path / "response.json").write_text(json.dumps(response))

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "fastqe").write_text(STANDIN_FASTQE)
    (bin_dir / "fastqe").chmod(0o755)
    (tmp_path / "standin_metamist_graphql.py").write_text(STANDIN_GRAPHQL)
    script = tmp_path / "metamist_docker_tutorial.py"
    script.write_text(SCRIPT)

    storage = tmp_path / "storage"
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[workflow]\ndataset = "sandbox"\naccess_level = "test"\noutput_prefix = "sandbox_fastqe"\n'
        f'[storage.default]\ndefault = "{storage}/sandbox-test"\nweb = "{storage}/sandbox-test-web"\n'
        f'tmp = "{storage}/sandbox-test-tmp"\n'
        '[images]\nfastqe = "fastqe_image:1.0.0"\n' + backend_config
    )
    monkeypatch.setenv("GENOLOG_CONFIG_PATH", str(cfg))
    monkeypatch.setenv("STANDIN_METAMIST_RESPONSE", str(tmp_path / "response.json"))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(script), "--project", "sandbox-test", "--sgids", "CPG11", "CPG33"])
    config._reset_for_tests()

    runpy.run_path(str(script), run_name="__main__")

    web = storage / "sandbox-test-web" / "sandbox_fastqe"
    assert sorted(p.name for p in web.iterdir()) == ["CPG11.html", "CPG33.html"]
    html = (web / "CPG11.html").read_text()
    assert "CPG11_R1.fq.gz: 25 reads" in html and "CPG11_R2.fq.gz: 25 reads" in html
    assert "CPG33_R2.fq.gz: 10 reads" in (web / "CPG33.html").read_text()
    err = capsys.readouterr().err
    assert "2 job(s) with an image run on the host" in err
    assert "Batch completed successfully!" in err
