"""`genolog qc` and `genolog-fastqe` end to end: several files, errors, stdin, HTML, JSON, options."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from genolog.qc.emoji import (
    CustomTableError,
    binned_table,
    choose_table,
    custom_table,
    default_table,
    noemoji_table,
)
from genolog.qc.html import cells, render_report
from genolog.qc.report import analyse
from genolog.qc.text import scale_lines
from tests.qc.qc_helpers import naive_stats, random_records

BIN = Path(sys.executable).parent
EXAMPLE = "@a\nACGTA\n+\nIII5#\n@b\nACGT\n+\nII5#\n"


def _run(
    *args: str, cwd: Path, stdin: bytes | None = None, tool: str = "genolog"
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(BIN / tool), *args], cwd=cwd, input=stdin, capture_output=True, timeout=120)
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    )


def test_emoji_tables() -> None:
    assert default_table().render([0, 20, 33, 40, 41, 93]) == "🚫 🚨 😌 😎 😍 😍"
    assert default_table("0.3.1").symbol(33) == "\u263a\ufe0f"
    assert default_table().symbol(31) == default_table().symbol(39) == "😄"
    assert binned_table().render([1, 2, 9, 10, 19, 20, 24, 25, 29, 30, 34, 35, 39, 40]) == (
        "🚫 💀 💀 💩 💩 🚨 🚨 😄 😄 😆 😆 😎 😎 😍"
    )
    assert noemoji_table().render(list(range(0, 45, 5))) == "▁▂▃▃▄▅▆▇█"
    assert choose_table(noemoji=True, binned=True).name == "no-emoji"


def test_scale_lists_every_phred_character() -> None:
    lines = scale_lines(noemoji_table())
    assert lines[0] == "#scale for fastqe" and len(lines) == 95
    assert lines[1] == "#  0 ! ▁" and lines[-1] == "#  93 ~ 😍"  # FastQE's scale falls back to 😍


def test_custom_table(tmp_path: Path) -> None:
    f = tmp_path / "map.txt"
    f.write_text("{'!': ':skull:', 'I': '🐌', '#': ':no_such_code:', 'long key': 'x'}")
    t = custom_table(f)
    assert t.render([0, 40, 2, 5]) == "💀 🐌 :no_such_code: 😍"
    f.write_text("['not', 'a', 'dict']")
    with pytest.raises(CustomTableError, match="must be a dict"):
        custom_table(f)
    f.write_text("{'!': 3}")
    with pytest.raises(CustomTableError, match="not a string"):
        custom_table(f)


def test_html_windows_follow_fastqe(tmp_path: Path) -> None:
    # per-position means 40, 40, 30, 11, 2 -> windows of 2: trunc(40), trunc(20.5)=20, 2
    path = tmp_path / "r.fq"
    path.write_text(EXAMPLE)
    st = analyse(str(path))
    got = [(c.pos, c.mean_q, c.max_q, c.min_q) for c in cells(st, default_table(), window=2)]
    assert got == [("1-2", 40, 40, 40), ("3-4", 20, 30, 11), ("5-5", 2, 2, 2)]


def test_html_escapes_names_and_makes_no_external_reference(tmp_path: Path) -> None:
    path = tmp_path / "r.fq"
    path.write_text(EXAMPLE)
    st = analyse(str(path))
    st.name = "<script>alert(1)</script>.fq"
    html = render_report([st], default_table())
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert html.count('class="pos"') == 5
    assert "Pos: 3&#10;Max: 😎 (Q40)&#10;Mean: 😆 (Q30)&#10;Min: 🚨 (Q20)" in html


def test_several_files_with_errors_still_report_the_rest(
    write_fastq: Callable[..., Path], tmp_path: Path
) -> None:
    good = random_records(seed=11, n=50, lengths=(40, 60))
    write_fastq("good.fq.gz", good, gz=True)
    write_fastq("bad.fq", "@a\nACGT\n+\nII\n")
    write_fastq("cut.fq.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 3)
    write_fastq("also_good.fq", EXAMPLE)
    res = _run(
        "qc",
        "good.fq.gz",
        "missing.fq",
        "bad.fq",
        "cut.fq.gz",
        "also_good.fq",
        "--json",
        "s.json",
        cwd=tmp_path,
    )
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    assert lines[0] == "Filename\tStatistic\tQualities"
    assert [line.split("\t")[0] for line in lines[1:]] == ["good.fq.gz", "also_good.fq"]
    assert "missing.fq: no such file" in res.stderr
    assert "bad.fq: line 4: the quality string has 2 characters but the sequence has 4" in res.stderr
    assert "cut.fq.gz:" in res.stderr and "gzip" in res.stderr
    assert "Traceback" not in res.stderr
    report = json.loads((tmp_path / "s.json").read_text())
    assert [f["name"] for f in report["files"]] == ["good.fq.gz", "also_good.fq"]
    assert report["files"][0]["per_position"]["mean_rounded"] == naive_stats(good)["mean"]
    assert {e["name"] for e in report["errors"]} == {"missing.fq", "bad.fq", "cut.fq.gz"}


def test_stdin_with_and_without_dash(tmp_path: Path) -> None:
    for args in ([], ["-"]):
        res = _run("qc", "--noemoji", *args, cwd=tmp_path, stdin=EXAMPLE.encode())
        assert res.returncode == 0
        assert res.stdout.splitlines()[1] == "-\tmean (no-emoji)\t██▆▃▂"


def test_html_report_file_and_fastqe_html_flag(tmp_path: Path) -> None:
    (tmp_path / "r1.fq").write_text(EXAMPLE)
    (tmp_path / "r2.fq").write_text(EXAMPLE.replace("I", "5"))
    res = _run("qc", "--min", "--max", "--html", "rep.html", "r1.fq", "r2.fq", cwd=tmp_path)
    assert res.returncode == 0
    # as fastqe 0.5.x: with --html only the mean lines are printed
    assert [line.split("\t")[1] for line in res.stdout.splitlines()[1:]] == ["mean", "mean"]
    html = (tmp_path / "rep.html").read_text(encoding="utf-8")
    assert html.count('<section class="file"') == 2 and "r2.fq" in html
    # fastqe 0.3.1 style, as in `fastqe R1 R2 --html > report.html`: the report replaces the text
    res = _run("r1.fq", "r2.fq", "--html", cwd=tmp_path, tool="genolog-fastqe")
    assert res.returncode == 0
    assert res.stdout.startswith("<!DOCTYPE html>") and res.stdout.rstrip().endswith("</html>")


def test_options_and_clean_errors(tmp_path: Path) -> None:
    (tmp_path / "r.fq").write_text(EXAMPLE)
    (tmp_path / "map.txt").write_text("not python")
    res = _run("qc", "--custom", "map.txt", "r.fq", cwd=tmp_path)
    assert res.returncode == 2 and "not a Python dict literal" in res.stderr and "Traceback" not in res.stderr
    res = _run("qc", "--noheader", "--output", "out.tsv", "--fastqe-version", "0.3.1", "r.fq", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout == ""
    assert (tmp_path / "out.tsv").read_text(encoding="utf-8") == "r.fq\tmean\t😎 😎 😆 🙊 👺\n"
    res = _run("qc", "--output", "/nonexistent-dir/out.tsv", "r.fq", cwd=tmp_path)
    assert res.returncode == 1 and "cannot write" in res.stderr and "Traceback" not in res.stderr
    assert _run("--version", cwd=tmp_path, tool="genolog-fastqe").stdout.strip() == "fastqe 0.5.2"
    res = _run("--log", "run.log", "r.fq", "gone.fq", cwd=tmp_path, tool="genolog-fastqe")
    log = (tmp_path / "run.log").read_text()
    assert res.returncode == 1 and "Processing FASTQ file from r.fq" in log and "gone.fq: no such file" in log
    res = _run("qc", "--fastqe-version", "9.9", "r.fq", cwd=tmp_path)
    assert res.returncode != 0 and "--fastqe-version" in res.stderr


def test_run_as_a_library_with_redirected_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from genolog.qc import QcOptions, run

    (tmp_path / "r.fq").write_text(EXAMPLE)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    code = run(
        QcOptions(files=[str(tmp_path / "r.fq"), str(tmp_path / "none.fq")], show_min=True), stderr=err
    )
    assert code == 1
    assert out.getvalue().splitlines()[1:] == [
        f"{tmp_path / 'r.fq'}\tmean\t😎 😎 😆 🙊 👺",
        f"{tmp_path / 'r.fq'}\tmin\t😎 😎 🚨 👺 👺",
    ]
    assert "none.fq: no such file" in err.getvalue()


def test_each_error_is_printed_once(tmp_path: Path) -> None:
    (tmp_path / "r.fq").write_text(EXAMPLE)
    res = _run("qc", "r.fq", "nope.fq", cwd=tmp_path)
    assert res.stderr.count("no such file") == 1


def test_html_groups_very_long_reads_automatically(tmp_path: Path) -> None:
    path = tmp_path / "long.fq"
    path.write_text("".join(f"@r{i}\n{'A' * 5000}\n+\n{'I' * 4999}#\n" for i in range(3)))
    st = analyse(str(path))
    html = render_report([st], default_table())
    assert html.count('class="pos"') == 1000  # windows of 5 positions
    assert "each shows a window of 5 positions" in html and "Pos: 4996-5000" in html
    assert "Min: 😋 (Q32)" in html  # as in FastQE, a window shows the truncated mean: (4 x 40 + 2) / 5
    polyline = re.search(r'class="mean" points="([^"]*)"', html)
    assert polyline is not None and len(polyline.group(1).split()) <= 1500
    # an explicit --window is kept as given
    assert render_report([st], default_table(), window=2).count('class="pos"') == 2500
