#!/usr/bin/env python3
"""FastQE on every sequencing group of a project, each report registered as a `web` analysis.

The tutorial's script (sections 3 and 4 of "Metamist, Docker and analysis-runner"), written against
genolog. Run it through the analysis runner, which writes the config (dataset, access level, output
prefix, storage, images) and points GENOLOG_CONFIG_PATH at it:

    genolog analysis-runner --dataset sandbox --access-level test -o fastqe \\
        --description "FastQE on sandbox" python3 fastqe_analysis.py [--sgids CPG... ] [--force]

What it does, in three steps (each a section below):

1. Ask the metadata service, by GraphQL, for the project's sequencing groups, their reads and the
   `web` analyses they already have.
2. Build a job graph: per sequencing group one bash job running FastQE on both reads, writing the HTML
   report to the web storage (`output_path(f'{sg}.html', category='web')`) and its statistics as JSON
   beside it (`{sg}.json`), and one Python job after it that registers the report as an analysis, with a
   small QC summary from the JSON in `meta.qc` (for the web interface's Cohort QC page). The
   registration job always runs: when the QC job failed there is no report, and it registers a `failed`
   analysis instead of leaving nothing.
3. Run the graph. A sequencing group whose report exists (and is registered) is skipped, so running
   the script again does nothing new; `--force` runs QC again and the new analysis replaces the old.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from dataclasses import dataclass, field
from subprocess import CalledProcessError
from typing import Any

from genolog.batch.helpers import command, get_batch, image_path, output_path
from genolog.client import gql, query
from genolog.config import config_retrieve, dataset_for_access_level
from genolog.paths import to_path

# region 1. metadata: sequencing groups, their reads and their reports

SG_READS_QUERY = gql(
    """
    query ($project: String!) {
      project(name: $project) {
        sequencingGroups {
          id
          sample { externalId }
          assays { meta }
          analyses(type: {eq: "web"}, active: {eq: true}) { id status output }
        }
      }
    }
    """
)


@dataclass
class SequencingGroup:
    id: str
    sample: str
    reads: list[str]
    #: active `web` analyses: id -> (status, output)
    analyses: dict[int, tuple[str, str | None]] = field(default_factory=dict)


def get_sequencing_groups(project: str, sgids: list[str] | None = None) -> list[SequencingGroup]:
    """The project's sequencing groups that have reads (only `sgids`, when given)."""
    response = query(SG_READS_QUERY, {"project": project})
    groups = []
    for sg in response["project"]["sequencingGroups"]:
        if sgids and sg["id"] not in sgids:
            continue
        reads = [read["location"] for assay in sg["assays"] for read in _files(assay["meta"].get("reads"))]
        analyses = {a["id"]: (a["status"].lower(), a["output"]) for a in sg["analyses"]}  # COMPLETED
        groups.append(SequencingGroup(sg["id"], sg["sample"]["externalId"], reads, analyses))
    return groups


def _files(reads: Any) -> list[dict[str, Any]]:
    """The read files of an assay: ``reads`` is a list of files, or of lists (one per lane or pair)."""
    if not reads:
        return []
    return [f for item in reads for f in (item if isinstance(item, list) else [item])]


# endregion

# region 2. the registration job (runs inside the batch, after the QC job)


def register_report(
    sgid: str, report: str, display_url: str, replaces: list[int], qc_json: str | None = None
) -> int:
    """Register the report of `sgid` as a `web` analysis: `completed` when the QC job wrote it,
    `failed` when it did not. The QC statistics (`qc_json`, when written) become a small summary in
    `meta.qc` (`genolog.qc.summary`). Earlier active analyses of the sequencing group (`replaces`) are
    deactivated. Returns the new analysis's id."""
    # imports inside the function, as the tutorial does: the job may run in a fresh interpreter
    import json

    from genolog.client import Analysis, AnalysisApi, AnalysisStatus, AnalysisUpdateModel
    from genolog.config import dataset_for_access_level, get_config
    from genolog.paths import to_path
    from genolog.qc.summary import summarise

    project = dataset_for_access_level(get_config()["workflow"]["dataset"])
    written = to_path(report).exists()
    if written:
        meta: dict[str, Any] = {"display_url": display_url}
        if qc_json and to_path(qc_json).exists():
            summary = summarise(json.loads(to_path(qc_json).read_text()))
            if summary is not None:
                meta["qc"] = summary
        analysis = Analysis(
            type="web",
            status=AnalysisStatus("completed"),
            meta=meta,
            output=report,
            active=True,
            sequencing_group_ids=[sgid],
        )
    else:
        analysis = Analysis(
            type="web",
            status=AnalysisStatus("failed"),
            meta={"error": "the FastQE job failed and wrote no report (see the batch's job logs)"},
            output=None,
            active=True,
            sequencing_group_ids=[sgid],
        )
    api = AnalysisApi()
    analysis_id = api.create_analysis(project=project, analysis=analysis)
    for old in replaces:
        api.update_analysis(old, AnalysisUpdateModel(active=False))
    print(f"{sgid}: analysis {analysis_id} ({analysis.status}) {display_url if written else ''}")
    return analysis_id


# endregion

# region 3. the job graph


def main(project: str, sgids: list[str] | None, force: bool) -> int:
    groups = get_sequencing_groups(project, sgids)
    b = get_batch("FastQE")
    driver_image = config_retrieve(["workflow", "driver_image"], default=None)
    skipped, registered_only = [], []
    for sg in groups:
        if len(sg.reads) != 2:  # paired FASTQ only, as the tutorial assumes
            print(f"{sg.id}: skipped, {len(sg.reads)} read files (expected a pair)")
            continue
        report = output_path(f"{sg.id}.html", category="web")  # the web storage
        display_url = output_path(f"{sg.id}.html", category="web_url")  # where browsers see it
        qc_json = output_path(f"{sg.id}.json", category="web")  # the statistics, for meta.qc
        exists = to_path(report).exists()
        done = any(status == "completed" and out == report for status, out in sg.analyses.values())
        if exists and done and not force:
            skipped.append(sg.id)
            continue

        register = b.new_python_job(f"Register analysis output for {sg.id}", {"sequencing_group": sg.id})
        if driver_image:
            register.image(driver_image)
        register.call(register_report, sg.id, report, display_url, sorted(sg.analyses), qc_json)
        if exists and not force:  # a report without its analysis: only register it
            registered_only.append(sg.id)
            continue
        if exists:
            to_path(report).unlink()  # --force: a stale report must not pass for a new one
            to_path(qc_json).unlink(missing_ok=True)

        j = b.new_job("FastQE", {"tool": "fastqe", "sequencing_group": sg.id})
        j.image(image_path("fastqe"))  # genolog's FastQE image: `fastqe` is genolog's QC
        j.storage("1Gi")
        file_1 = b.read_input(sg.reads[0])
        file_2 = b.read_input(sg.reads[1])
        # --json: genolog's fastqe also writes the statistics (a genolog extension to FastQE's options)
        j.command(command(f"fastqe {file_1} {file_2} --html --json {j.out_json} > {j.out_fastqe}"))
        b.write_output(j.out_fastqe, report)
        b.write_output(j.out_json, qc_json)
        register.depends_on(j)
        register.always_run()  # also after a failed QC job: it then registers a `failed` analysis

    todo = len(groups) - len(skipped)
    print(
        f"{project}: {len(groups)} sequencing groups; {len(skipped)} already reported (skipped), "
        f"{len(registered_only)} to register, {todo - len(registered_only)} to run"
        + ("" if force else " (--force runs every one again)")
    )
    if todo == 0:
        return 0
    try:
        b.run(wait=False)
    except CalledProcessError as e:
        print(
            f"error: {e}; the failed sequencing groups are registered as `failed` analyses", file=sys.stderr
        )
        return 1
    return 0


# endregion


if __name__ == "__main__":
    parser = ArgumentParser(description="FastQE on a project's sequencing groups, registered as analyses")
    parser.add_argument("--project", help="Project (default: the dataset, -test at test access)")
    parser.add_argument("--sgids", nargs="+", help="Only these sequencing groups")
    parser.add_argument("--force", action="store_true", help="Run QC again even where a report exists")
    args = parser.parse_args()
    project = args.project or dataset_for_access_level(config_retrieve(["workflow", "dataset"]))
    sys.exit(main(project, args.sgids, args.force))
