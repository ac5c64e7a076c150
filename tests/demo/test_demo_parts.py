"""The demo's pieces: deterministic FASTQs with varied profiles, the pedigree, the workspace, packaging."""

from __future__ import annotations

import gzip
import hashlib
import socket
import subprocess
import tomllib
from pathlib import Path

import numpy as np

from genolog.demo import fastq
from genolog.demo.pedigree import write_pedigree
from genolog.demo.service import port_free
from genolog.demo.workspace import SCRIPT, example_folder, prepare_workspace
from genolog.metadata.pedigree import check_and_order, parse

ROOT = Path(__file__).resolve().parents[2]


def _mean_quality_by_position(path: Path) -> np.ndarray:
    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    quals = np.array([np.frombuffer(q, dtype=np.uint8) for q in lines[3::4] if q], dtype=np.float64) - 33
    return quals.mean(axis=0)


def test_fastqs_are_deterministic_and_varied(tmp_path: Path) -> None:
    samples = fastq.demo_samples()
    assert len(samples) == 10 and len({s.sample for s in samples}) == 10
    assert {s.profile.label for s in samples} >= {"good", "poor", "mid-read dip"}
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    digests = []
    for folder in (a, b):
        paths = [p for i, s in enumerate(samples, 1) for p in fastq.write_pair(s, folder, i, reads=300)]
        digests.append([hashlib.md5(p.read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]  # same bytes every time: re-ingesting changes nothing

    r1 = _mean_quality_by_position(a / "DEMO01-DNA_R1.fastq.gz")
    r2 = _mean_quality_by_position(a / "DEMO01-DNA_R2.fastq.gz")
    assert len(r1) == fastq.READ_LENGTH
    assert r1[10:20].mean() > r1[-10:].mean() + 3  # decays along the read
    assert r2[-10:].mean() < r1[-10:].mean()  # read 2 is worse
    poor = _mean_quality_by_position(a / "DEMO04-DNA_R1.fastq.gz")
    assert poor[-10:].mean() < 20 < r1[-10:].mean()
    dip = _mean_quality_by_position(a / "DEMO07-DNA_R1.fastq.gz")
    assert dip[62:78].mean() < dip[40:55].mean() - 10

    manifest = fastq.write_manifest(samples, a).read_text().splitlines()
    assert manifest[0].split("\t")[:3] == ["participant id", "sample id", "filenames"]
    assert manifest[1].split("\t")[2] == "DEMO01-DNA_R1.fastq.gz,DEMO01-DNA_R2.fastq.gz"


def test_the_pedigree_is_a_valid_trio_and_three_generations(tmp_path: Path) -> None:
    path = write_pedigree(fastq.demo_samples(), tmp_path)
    assert path is not None and path.name == "pedigree.ped"
    rows = check_and_order(parse(path.read_text()))  # fathers male, mothers female, no cycles
    by_id = {r.individual: r for r in rows}
    assert (by_id["DEMO01"].paternal, by_id["DEMO01"].maternal, by_id["DEMO01"].affected) == (
        "DEMO02",
        "DEMO03",
        2,
    )
    kindred = [r for r in rows if r.family == "DEMO-KINDRED"]
    assert len(kindred) == 7 and by_id["DEMO08"].paternal == "DEMO06" and by_id["DEMO06"].paternal == "DEMO04"
    assert [r.individual for r in rows if r.affected == 2] == ["DEMO01", "DEMO08"]
    modified = path.stat().st_mtime_ns
    assert write_pedigree(fastq.demo_samples(), tmp_path) == path and path.stat().st_mtime_ns == modified
    (tmp_path / "few").mkdir()
    few = write_pedigree(fastq.demo_samples(5), tmp_path / "few")  # not enough participants for the kindred
    assert few is not None and {r.family for r in parse(few.read_text())} == {"DEMO-TRIO"}
    assert write_pedigree(fastq.demo_samples(2), tmp_path) is None


def test_workspace_commits_the_example_once(tmp_path: Path) -> None:
    script, commit = prepare_workspace(tmp_path / "ws")
    assert script.name == SCRIPT and script.read_text() == (example_folder() / SCRIPT).read_text()
    again, same = prepare_workspace(tmp_path / "ws")
    assert (again, same) == (script, commit)
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=tmp_path / "ws", capture_output=True, text=True
    )
    assert status.stdout == ""
    script.write_text("changed")  # a local edit is put back: the workspace holds the example
    assert prepare_workspace(tmp_path / "ws") == (script, commit)
    assert script.read_text() == (example_folder() / SCRIPT).read_text()
    newer_example = tmp_path / "example"  # a newer genolog's example is committed on top
    newer_example.mkdir()
    (newer_example / SCRIPT).write_text("print('v2')\n")
    _, newer = prepare_workspace(tmp_path / "ws", newer_example)
    assert newer != commit and script.read_text() == "print('v2')\n"


def test_the_wheel_ships_the_example() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["examples/fastqe"] == "genolog/examples/fastqe"
    assert (ROOT / "examples" / "fastqe" / SCRIPT).is_file()
    assert example_folder() == ROOT / "examples" / "fastqe"  # an editable install finds the checkout's


def test_a_port_is_free_once_nothing_listens_though_closed_connections_linger() -> None:
    """The server closes idle kept-alive connections first, which leaves its port's side of them in
    TIME_WAIT after it stops; the next demo may still listen there (uvicorn binds with SO_REUSEADDR)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    assert not port_free("127.0.0.1", port)
    accepted.close()  # the server's side closes first ...
    client.recv(1)  # ... the client sees the end
    client.close()
    listener.close()
    assert port_free("127.0.0.1", port)
