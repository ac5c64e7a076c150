"""Byte-for-byte comparison of `genolog-fastqe` with the published fastqe 0.5.2 and 0.3.1.

The fastqe venvs are built on first use under .cache/ (see conftest); without PyPI these tests skip,
except in CI, where they fail. FastQE's known bugs are excluded from the byte comparisons and checked
separately against the corrected values.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from genolog.qc.fastqe_cli import main as fastqe_main
from tests.qc.qc_helpers import Record, fastq_text, random_records

pytestmark = pytest.mark.slow


def _write(directory: Path, name: str, records: list[Record] | str) -> str:
    text = records if isinstance(records, str) else fastq_text(records)
    path = directory / name
    path.write_bytes(gzip.compress(text.encode(), mtime=0) if name.endswith(".gz") else text.encode())
    return name


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fastqe-compat")
    _write(d, "fixed.fq", random_records(seed=1, n=400, lengths=(150, 150)))
    _write(d, "variable.fq", random_records(seed=2, n=400, lengths=(20, 151)))
    _write(d, "binned.fq", random_records(seed=3, n=300, lengths=(100, 100), binned=True))
    _write(d, "gz_reads.fq.gz", random_records(seed=4, n=300, lengths=(75, 101)))
    _write(d, "long.fq", random_records(seed=5, n=40, lengths=(300, 900)))
    # Q0 inside the read (not trailing: see the bug tests), and Q41..Q93 ('J'..'~')
    _write(
        d,
        "extremes.fq",
        [("a", "ACGTACGT", "I!IJK~II"), ("b", "ACGTACGT", "5!5JK~5I"), ("c", "ACGTAC", "I!IJ~~")],
    )
    # positions whose rounded mean is Q33 ('B'): the one emoji that differs between 0.3.1 and 0.5.2
    _write(d, "q33.fq", [("a", "ACGT", "BBAC"), ("b", "ACGT", "BCBB")])
    _write(d, "empty.fq", "")
    (d / "custom.txt").write_text(
        "{'!': ':skull:', '#': '🐌', '5': ':snake:', '?': ':not_a_shortcode:',\n"
        " 'I': ':palm_tree:', 'B': 'x'}\n",
        encoding="utf-8",
    )
    return d


def _fastqe(exe: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, env=env, timeout=300)


def _ours(
    args: list[str], cwd: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, bytes]:
    monkeypatch.chdir(cwd)
    capfd.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        fastqe_main(args)
    out = capfd.readouterr().out
    return int(exit_info.value.code or 0), out.encode("utf-8")


CASES = {
    "fixed": ["fixed.fq"],
    "fixed-min-max": ["--min", "--max", "fixed.fq"],
    "variable-min-max": ["--max", "--min", "variable.fq"],
    "binned-quals": ["binned.fq"],
    "bin-table": ["--bin", "--min", "--max", "binned.fq", "variable.fq"],
    "noemoji": ["--noemoji", "--max", "--min", "fixed.fq", "variable.fq"],
    "gzip-and-plain": ["gz_reads.fq.gz", "fixed.fq", "gz_reads.fq.gz"],
    "q0-and-q41-plus": ["--max", "extremes.fq"],
    "q0-q41-noemoji": ["--noemoji", "--max", "extremes.fq"],
    "long-reads": ["--long", "1000", "--min", "--max", "long.fq"],
    "q33": ["--min", "--max", "q33.fq", "--bin"],
    "q33-default": ["q33.fq"],
    "scale": ["--scale", "fixed.fq"],
    "scale-noemoji": ["--scale", "--noemoji", "extremes.fq"],
    "scale-bin": ["--scale", "--bin", "--output", "bin.tsv", "binned.fq"],
    "custom": ["--custom", "custom.txt", "--scale", "--max", "extremes.fq", "fixed.fq"],
    "noheader": ["--noheader", "--min", "variable.fq"],
    "empty": ["--min", "--max", "empty.fq", "fixed.fq"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_text_output_matches_fastqe_052(
    case: str,
    fastqe_052: Path,
    data_dir: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = CASES[case]
    expected = _fastqe(fastqe_052, args, data_dir)
    assert expected.returncode == 0, expected.stderr.decode()
    code, out = _ours(args, data_dir, capfd, monkeypatch)
    assert code == 0
    assert out == expected.stdout


@pytest.mark.parametrize(
    "case", ["fixed-min-max", "q33", "q33-default", "noemoji", "gzip-and-plain", "scale"]
)
def test_text_output_matches_fastqe_031_with_the_switch(
    case: str,
    fastqe_031: Path,
    data_dir: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = CASES[case]
    expected = _fastqe(fastqe_031, args, data_dir)
    assert expected.returncode == 0, expected.stderr.decode()
    code, out = _ours([*args, "--fastqe-version", "0.3.1"], data_dir, capfd, monkeypatch)
    assert code == 0
    assert out == expected.stdout
    if case == "q33-default":  # the switch matters: 0.5.2's table gives a different line here
        _, out_052 = _ours(args, data_dir, capfd, monkeypatch)
        assert out_052 != out and "\u263a\ufe0f" in out.decode() and "\U0001f60c" in out_052.decode()


def test_output_file_matches_fastqe(
    fastqe_052: Path, data_dir: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _fastqe(fastqe_052, ["--output", "theirs.tsv", "--max", "variable.fq"], data_dir).returncode == 0
    code, _ = _ours(["--output", "ours.tsv", "--max", "variable.fq"], data_dir, capfd, monkeypatch)
    assert code == 0
    assert (data_dir / "ours.tsv").read_bytes() == (data_dir / "theirs.tsv").read_bytes()


def test_stdin_gzip_matches_fastqe(fastqe_052: Path, data_dir: Path) -> None:
    data = (data_dir / "gz_reads.fq.gz").read_bytes()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    theirs = subprocess.run(
        [str(fastqe_052), "--min"], input=data, capture_output=True, env=env, cwd=data_dir
    )
    ours = subprocess.run(
        [str(Path(sys.executable).with_name("genolog-fastqe")), "--min"],
        input=data,
        capture_output=True,
        env=env,
        cwd=data_dir,
    )
    assert theirs.returncode == ours.returncode == 0
    assert ours.stdout == theirs.stdout
    assert b"Processing FASTQ file from stdin" in ours.stderr


# --- FastQE's known bugs: fastqe shows them, genolog prints the corrected values ----------------------


def test_bug_q0_minimum(
    fastqe_052: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "q0.fq", [("a", "ACGT", "!III"), ("b", "ACGT", "5III")])
    theirs = _fastqe(fastqe_052, ["--min", "q0.fq"], tmp_path).stdout.decode()
    assert "q0.fq\tmin\t\U0001f6a8 " in theirs  # fastqe: 🚨 (Q20), the second read's value
    _, ours = _ours(["--min", "q0.fq"], tmp_path, capfd, monkeypatch)
    assert (
        ours.decode().splitlines()[-1] == "q0.fq\tmin\t\U0001f6ab \U0001f60e \U0001f60e \U0001f60e"
    )  # 🚫 😎 😎 😎


@pytest.mark.parametrize(
    "records",
    [[("a", "ACGTAC", "IIII!!")], [("a", "ACGTACGT", "IIII!!!!"), ("b", "ACGT", "IIII")]],
    ids=["trailing-q0", "q0-tail-beyond-other-reads"],
)
def test_bug_trailing_q0_crash(
    records: list[Record],
    fastqe_052: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _write(tmp_path, "t.fq", records)
    theirs = _fastqe(fastqe_052, ["t.fq"], tmp_path)
    assert theirs.returncode != 0 and b"broadcast" in theirs.stderr
    code, ours = _ours(["--max", "t.fq"], tmp_path, capfd, monkeypatch)
    n = len(max(records, key=lambda r: len(r[2]))[2])
    assert code == 0
    mean_line = ours.decode().splitlines()[2]
    assert mean_line == "t.fq\tmean\t" + " ".join(["\U0001f60e"] * 4 + ["\U0001f6ab"] * (n - 4))


def test_bug_gzip_detected_by_name_only(
    fastqe_052: Path,
    data_dir: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "reads.fastq").write_bytes((data_dir / "gz_reads.fq.gz").read_bytes())
    theirs = _fastqe(fastqe_052, ["reads.fastq"], tmp_path)
    assert theirs.returncode != 0 and b"UnicodeDecodeError" in theirs.stderr
    _, ours = _ours(["reads.fastq"], tmp_path, capfd, monkeypatch)
    _, reference = _ours(["gz_reads.fq.gz"], data_dir, capfd, monkeypatch)
    assert ours.replace(b"reads.fastq", b"gz_reads.fq.gz") == reference


def test_bug_minlen_ignored(
    fastqe_052: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "m.fq", [("a", "ACGTAC", "IIIIII"), ("b", "AC", "##")])
    theirs = _fastqe(fastqe_052, ["--minlen", "4", "m.fq"], tmp_path).stdout.decode()
    assert theirs.splitlines()[1].split("\t")[2].split(" ")[0] == "\U0001f600"  # (40+2)/2 = Q21: 😀
    _, ours = _ours(["--minlen", "4", "m.fq"], tmp_path, capfd, monkeypatch)
    assert ours.decode().splitlines()[1] == "m.fq\tmean\t" + " ".join(["\U0001f60e"] * 6)


def test_bug_fasta_fails(
    fastqe_052: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "r.fa").write_text(">a\nACGT\n>b\nAC\n")
    theirs = _fastqe(fastqe_052, ["r.fa"], tmp_path)
    assert theirs.returncode != 0 and b"should start with '@'" in theirs.stderr
    monkeypatch.chdir(tmp_path)
    capfd.readouterr()
    with pytest.raises(SystemExit) as e:
        fastqe_main(["--json", "r.json", "r.fa"])
    captured = capfd.readouterr()
    assert e.value.code == 0
    assert captured.out.splitlines()[1] == "r.fa\tmean\t"
    assert "FASTA" in captured.err and "no qualities" in captured.err
    assert '"max_len": 4' in (tmp_path / "r.json").read_text()


def test_missing_file_does_not_stop_the_run(
    fastqe_052: Path, data_dir: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = _fastqe(fastqe_052, ["nope.fq", "fixed.fq"], data_dir)
    assert theirs.returncode == 1 and theirs.stdout.decode().count("\n") == 1  # header only
    code, ours = _ours(["nope.fq", "fixed.fq"], data_dir, capfd, monkeypatch)
    _, fixed_only = _ours(["fixed.fq"], data_dir, capfd, monkeypatch)
    assert code == 1
    assert ours == fixed_only


@pytest.mark.parametrize(("window", "table_args"), [(1, []), (7, ["--bin"]), (40, ["--noemoji"])])
def test_html_tooltip_values_match_fastqe_052(
    window: int, table_args: list[str], fastqe_052: Path, data_dir: Path
) -> None:
    """Each position (or window) carries the same max/mean/min symbols as in fastqe's own report."""
    from genolog.qc.emoji import choose_table
    from genolog.qc.html import cells
    from genolog.qc.report import analyse

    out = data_dir / f"fastqe-w{window}.html"
    args = [*table_args, "--window", str(window), "--html", out.name, "variable.fq"]
    assert _fastqe(fastqe_052, args, data_dir).returncode == 0
    theirs = re.findall(
        r"Pos:([0-9-]+)&lt;br&gt;Max:(.*?)&lt;br&gt;Mean:(.*?)&lt;br&gt;Min:(.*?)\"", out.read_text("utf-8")
    )
    table = choose_table(binned="--bin" in table_args, noemoji="--noemoji" in table_args)
    ours = [
        (c.pos, c.max, c.mean, c.min) for c in cells(analyse(str(data_dir / "variable.fq")), table, window)
    ]
    assert len(theirs) == len(ours) > 3
    assert ours == theirs
