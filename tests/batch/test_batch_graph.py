"""The job graph without running it: placeholders, dependencies, errors and warnings."""

from __future__ import annotations

import re

import pytest

import genolog.batch as hb
from genolog.batch import Batch, BatchException, LocalBackend


@pytest.fixture
def b(backend: LocalBackend) -> Batch:
    return Batch(name="graph", backend=backend)


def test_placeholders_are_uids_and_become_quoted_scratch_paths(b: Batch) -> None:
    inp = b.read_input("/data/my file.txt")
    j = b.new_job("a")
    assert re.fullmatch(r"__RESOURCE_FILE__\d+", str(j.ofile))
    assert re.fullmatch(r"__JOB__\d+", str(j))
    assert re.fullmatch(r"__BATCH__\d+", str(b))
    j.command(f"cat {inp} > {j.ofile}")
    root = inp._value.split("/")[0]
    assert j._command == [
        f"cat ${{BATCH_TMPDIR}}'/inputs/{root}/my file.txt' > ${{BATCH_TMPDIR}}/{j._dirname}/ofile"
    ]


def test_job_dir_is_safe_name_plus_token(b: Batch) -> None:
    assert re.fullmatch(r"my_job_1-[a-z0-9]{5}", b.new_job("my job/1")._dirname)
    assert re.fullmatch(r"[a-z0-9]{5}", b.new_job()._dirname)


def test_mentioning_another_jobs_file_makes_a_dependency(b: Batch) -> None:
    a = b.new_job("a")
    a.command(f"echo 1 > {a.out}")
    c = b.new_job("c")
    c.command(f"cat {a.out}")
    assert a in c._dependencies


def test_unmentioned_resource_of_another_job_is_undefined(b: Batch) -> None:
    a = b.new_job("a")
    c = b.new_job("c")
    with pytest.raises(BatchException, match="undefined resource 'out'"):
        c.command(f"cat {a.out}")
    with pytest.raises(BatchException, match="undefined resource 'never'"):
        b.write_output(a.never, "/tmp/x")


def test_jobs_batches_results_and_foreign_resources_are_rejected_in_commands(
    b: Batch, backend: LocalBackend
) -> None:
    j = b.new_job("j")
    with pytest.raises(BatchException, match="reference to a Job"):
        j.command(f"echo {j}")
    with pytest.raises(BatchException, match="reference to a Batch"):
        j.command(f"echo {b}")
    p = b.new_python_job("p")
    r = p.call(len, "abc")
    with pytest.raises(BatchException, match="as_str"):
        j.command(f"cat {r}")
    other = Batch(backend=backend)
    foreign = other.read_input("/x")
    with pytest.raises(BatchException, match="undefined resource"):
        j.command(f"cat {foreign}")


@pytest.mark.parametrize("blank", ["", " ", "\n", "\t", " \n\t ", "\r\n", "   \n   "])
def test_empty_command_warns_with_upstream_text(b: Batch, blank: str) -> None:
    named = b.new_job("x'y")
    with pytest.warns(UserWarning, match=re.escape("""Ignoring empty command specified for job "x'y".""")):
        named.command(blank)
    with pytest.warns(UserWarning, match="^Ignoring empty command specified for unnamed job.$"):
        b.new_job().command(blank)
    assert named._command == []


def test_cycles_are_detected_at_run(b: Batch) -> None:
    x, y = b.new_job("x"), b.new_job("y")
    x.depends_on(y)
    y.depends_on(x)
    with pytest.raises(BatchException, match="cycle detected in dependency graph"):
        b.run()


def test_topological_order_is_parents_first_in_creation_order(b: Batch) -> None:
    c = b.new_job("c")
    a = b.new_job("a")
    d = b.new_job("d")
    c.depends_on(a)
    assert b._unsubmitted_jobs() == [a, c, d]


def test_select_jobs_matches_at_start(b: Batch) -> None:
    b.new_job("align-1")
    b.new_job("align-2")
    b.new_job("realign")
    assert [j.name for j in b.select_jobs("align")] == ["align-1", "align-2"]


def test_setters_chain_and_validate(b: Batch) -> None:
    j = b.new_job("j")
    assert j.cpu("250m").memory("standard").storage("1Gi").image("x:1").timeout(5).n_max_attempts(2) is j
    assert (j._cpu, j._memory, j._storage, j._timeout, j._n_max_attempts) == (
        "250m",
        "standard",
        "1Gi",
        5.0,
        2,
    )
    with pytest.raises(BatchException, match="invalid value for cpu"):
        j.cpu("lots")
    with pytest.raises(BatchException, match="invalid size"):
        j.memory("4 gigs")
    with pytest.raises(BatchException, match="positive number of seconds"):
        j.timeout(-1)
    with pytest.raises(NotImplementedError, match="cloudfuse"):
        j.cloudfuse("bucket", "/mnt")


def test_attribute_typo_explains_itself(b: Batch) -> None:
    j = b.new_job("j")
    with pytest.raises(TypeError, match="Did you mean 'command'"):
        j.comand("echo hi")


def test_name_attribute_is_forbidden_and_defaults_apply(backend: LocalBackend) -> None:
    with pytest.raises(BatchException, match="'name' is not a valid attribute"):
        Batch(backend=backend, attributes={"name": "x"})
    b = Batch(backend=backend, default_image="img:1", default_cpu=2, default_memory="1Gi", default_timeout=9)
    j = b.new_job("j")
    assert (j._image, j._cpu, j._memory, j._timeout) == ("img:1", "2", "1Gi", 9.0)


def test_resource_group_members_and_root(b: Batch) -> None:
    g = b.read_input_group(bed="/d/x.bed", bim="/d/x.bim")
    j = b.new_job("j")
    j.declare_resource_group(out={"bed": "{root}.bed", "log": "{root}.log"})
    j.command(f"tool {g} {g.bed} {g['bim']} --out {j.out}")
    assert g in j._inputs
    cmd = j._command[0]
    assert f"inputs/{g._root} " in cmd and f"inputs/{g._root}.bed" in cmd and f"inputs/{g._root}.bim" in cmd
    assert j.out.bed._value == "out.bed"
    assert str(g) + ".bed" == g + ".bed"
    with pytest.raises(BatchException, match="not found in the resource group"):
        g.fam  # noqa: B018


def test_add_extension_once(b: Batch) -> None:
    j = b.new_job("j")
    f = j.ofile.add_extension(".vcf.gz")
    assert f._value == "ofile.vcf.gz"
    with pytest.raises(BatchException, match="already has a file extension"):
        f.add_extension(".x")


def test_run_rejects_service_only_keywords(b: Batch) -> None:
    b.new_job("x").command("true")
    message = "does not support any of these keywords: {'wait': False}"
    with pytest.raises(ValueError, match=re.escape(message)):
        b.run(wait=False)


def test_concatenate_with_branching_factor_two_over_ten_files_makes_21_jobs(b: Batch) -> None:
    files = []
    for i in range(10):
        j = b.new_job(f"make-{i}")
        j.command(f"echo {i} > {j.ofile}")
        files.append(j.ofile)
    hb.concatenate(b, files, branching_factor=2)
    assert len(b._jobs) == 21
    with pytest.raises(BatchException, match="at least one file"):
        hb.concatenate(b, [])


def test_long_job_names_make_short_enough_folders(b: Batch) -> None:
    assert len(b.new_job("n" * 1000)._dirname) == 106
