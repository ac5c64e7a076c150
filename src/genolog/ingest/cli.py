"""`genolog ingest manifest|metadata|pedigree`: the typer commands; they parse options and call
`genolog.ingest.commands`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from genolog.ingest.metadata_sheet import SheetColumns

ingest_app = typer.Typer(
    help="Load manifests, metadata sheets and pedigrees into a metadata server.", no_args_is_help=True
)
err_console = Console(stderr=True, soft_wrap=True)  # never break a message inside a path
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
ProjectArgument = Annotated[str, typer.Argument(help="The project to load into")]


SearchPathOption = Annotated[
    list[str] | None,
    typer.Option(
        "--search-path",
        help="Folder or gs:// / s3:// prefix where relative filenames are looked for (repeatable, "
        "in order; default: each file's folder)",
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing")]
SkipBadRowsOption = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Report rows with problems and ingest the rest")
]
ComputeMd5Option = Annotated[
    bool, typer.Option(help="Hash files that have no checksum column value and no sibling .md5 file")
]
SampleTypeOption = Annotated[str, typer.Option("--sample-type", help="Sample type for rows that give none")]
SequencingTypeOption = Annotated[str, typer.Option(help="Sequencing type for rows that give none")]
TechnologyOption = Annotated[str, typer.Option(help="Sequencing technology for rows that give none")]
PlatformOption = Annotated[str, typer.Option(help="Sequencing platform for rows that give none")]
ReferenceOption = Annotated[
    str | None,
    typer.Option(
        "--reference-assembly",
        help="Reference FASTA of the CRAMs whose row names none (required for CRAMs; its .fai is attached)",
    ),
]
OraReferenceOption = Annotated[
    str | None,
    typer.Option(
        "--ora-reference-assembly",
        help="ORA reference of the ORA-compressed FASTQs whose row names none (required for them)",
    ),
]
AllowExtraFilesOption = Annotated[
    bool,
    typer.Option(
        "--allow-extra-files-in-search-path",
        help="Ingest even when a --search-path holds read files that no row lists",
    ),
]
IngestJsonOption = Annotated[bool, typer.Option("--json", help="Print the server's JSON report")]


@dataclass(frozen=True)
class LoadOptions:
    """The options of both commands that load sample sheets (``manifest``, ``metadata``), after their own:
    ``_with_load_options`` adds these fields, typer's declarations included, to a command's signature."""

    search_path: SearchPathOption = None
    dry_run: DryRunOption = False
    skip_bad_rows: SkipBadRowsOption = False
    compute_md5: ComputeMd5Option = True
    sample_type: SampleTypeOption = "blood"
    sequencing_type: SequencingTypeOption = "genome"
    sequencing_technology: TechnologyOption = "short-read"
    sequencing_platform: PlatformOption = "illumina"
    reference_assembly: ReferenceOption = None
    ora_reference_assembly: OraReferenceOption = None
    allow_extra_files: AllowExtraFilesOption = False
    as_json: IngestJsonOption = False

    def load(self, project: str, files: list[str], sheet: SheetColumns | None = None) -> NoReturn:
        """Check and send ``files`` (manifests, or with ``sheet``, metadata sheets); exit with the code."""
        from genolog.ingest.commands import ingest_manifest as run
        from genolog.ingest.manifest import Defaults

        defaults = Defaults(
            self.sample_type,
            self.sequencing_type,
            self.sequencing_technology,
            self.sequencing_platform,
            self.reference_assembly,
            self.ora_reference_assembly,
        )
        code = run(
            project,
            files,
            search_paths=self.search_path or [],
            defaults=defaults,
            dry_run=self.dry_run,
            as_json=self.as_json,
            skip_bad_rows=self.skip_bad_rows,
            compute_md5=self.compute_md5,
            allow_extra_files=self.allow_extra_files,
            sheet=sheet,
            console=Console(soft_wrap=True),
            err_console=err_console,
        )
        raise typer.Exit(code)


def _with_load_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with ``LoadOptions``' fields as its last options, handed to it as one ``options``
    (typer reads a command's options from its signature, so they are declared once, there)."""
    own = inspect.signature(command, eval_str=True)
    shared = list(inspect.signature(LoadOptions, eval_str=True).parameters.values())

    @functools.wraps(command)
    def with_options(**given: Any) -> None:
        options = LoadOptions(**{p.name: given.pop(p.name) for p in shared})
        command(**given, options=options)

    kept = [p for p in own.parameters.values() if p.name != "options"]
    with_options.__signature__ = own.replace(parameters=[*kept, *shared])  # type: ignore[attr-defined]
    return with_options


@ingest_app.command("manifest")
@_with_load_options
def ingest_manifest(
    project: ProjectArgument,
    manifests: Annotated[list[str], typer.Argument(help="CSV/TSV sample-file maps", metavar="FILE...")],
    *,
    options: LoadOptions,
) -> None:
    """Create or update participants, samples, sequencing groups and assays from sample-file maps."""
    options.load(project, manifests)


def _column(help_text: str) -> Any:
    return typer.Option(help=help_text, rich_help_panel="Columns")


def _meta_option(level: str) -> tuple[Any, Any]:
    panel = "Meta columns"
    field = typer.Option(
        f"--{level}-meta-field",
        help=f"A column copied into {level}.meta under its own name (repeatable)",
        rich_help_panel=panel,
    )
    mapped = typer.Option(
        f"--{level}-meta-field-map",
        help=f"COLUMN=KEY: a column copied into {level}.meta as KEY (a dotted KEY nests; repeatable)",
        rich_help_panel=panel,
    )
    return field, mapped


_P_FIELD, _P_MAP = _meta_option("participant")
_S_FIELD, _S_MAP = _meta_option("sample")
_A_FIELD, _A_MAP = _meta_option("assay")
Pairs = list[str] | None


def _pairs(option: str, given: list[str] | None) -> list[tuple[str, str]]:
    """``COLUMN=KEY`` values (split at the last ``=``; typer has no two-value repeatable options)."""
    pairs = []
    for value in given or []:
        column, equals, key = value.rpartition("=")
        if not equals or not column.strip():
            err_console.print(f"[red]error:[/] {option} {value!r}: expected COLUMN=KEY")
            raise typer.Exit(2)
        pairs.append((column, key))
    return pairs


@ingest_app.command("metadata")
@_with_load_options
def ingest_metadata(
    project: ProjectArgument,
    sheets: Annotated[list[str], typer.Argument(help="CSV/TSV metadata sheets", metavar="FILE...")],
    sample_name_column: Annotated[str, _column("The column of sample ids (required)")],
    participant_column: Annotated[str | None, _column("The column of participant ids")] = None,
    reads_column: Annotated[str | None, _column("The column of read files (comma-separated)")] = None,
    gvcf_column: Annotated[str | None, _column("The column of gVCF files")] = None,
    checksum_column: Annotated[str | None, _column("The column of the reads' md5s")] = None,
    reported_sex_column: Annotated[
        str | None, _column("The column of reported sex (male/female, 1/2)")
    ] = None,
    reported_gender_column: Annotated[str | None, _column("The column of reported gender")] = None,
    karyotype_column: Annotated[str | None, _column("The column of karyotypes")] = None,
    sample_type_column: Annotated[str | None, _column("The column of sample types")] = None,
    sequencing_type_column: Annotated[str | None, _column("The column of sequencing types")] = None,
    sequencing_technology_column: Annotated[str | None, _column("The column of technologies")] = None,
    sequencing_platform_column: Annotated[str | None, _column("The column of platforms")] = None,
    facility_column: Annotated[str | None, _column("The column of sequencing facilities")] = None,
    library_column: Annotated[str | None, _column("The column of sequencing libraries")] = None,
    read_end_type_column: Annotated[str | None, _column("The column of read end types")] = None,
    read_length_column: Annotated[str | None, _column("The column of read lengths")] = None,
    reference_assembly_column: Annotated[str | None, _column("The column of CRAM references")] = None,
    ora_reference_assembly_column: Annotated[str | None, _column("The column of ORA references")] = None,
    participant_meta_field: Annotated[list[str] | None, _P_FIELD] = None,
    participant_meta_field_map: Annotated[Pairs, _P_MAP] = None,
    sample_meta_field: Annotated[list[str] | None, _S_FIELD] = None,
    sample_meta_field_map: Annotated[Pairs, _S_MAP] = None,
    assay_meta_field: Annotated[list[str] | None, _A_FIELD] = None,
    assay_meta_field_map: Annotated[Pairs, _A_MAP] = None,
    qc_meta_field_map: Annotated[
        Pairs,
        typer.Option(
            help="COLUMN=KEY: a column copied into the meta of a completed 'qc' analysis of the sequencing "
            "group (one analysis per group with QC values; repeatable)",
            rich_help_panel="Meta columns",
        ),
    ] = None,
    *,
    options: LoadOptions,
) -> None:
    """Load metadata sheets with columns of any name (Metamist's generic metadata parser).

    Options name the id, reads and sequencing columns, and map other columns into participant, sample
    and assay meta and into QC analyses; columns no option names are left out."""
    from genolog.ingest.metadata_sheet import SheetColumns

    named = {
        "sample": sample_name_column,
        "participant": participant_column,
        "filenames": reads_column,
        "gvcf": gvcf_column,
        "checksum": checksum_column,
        "sex": reported_sex_column,
        "reported_gender": reported_gender_column,
        "karyotype": karyotype_column,
        "sample_type": sample_type_column,
        "sequencing_type": sequencing_type_column,
        "sequencing_technology": sequencing_technology_column,
        "sequencing_platform": sequencing_platform_column,
        "facility": facility_column,
        "library": library_column,
        "read_end_type": read_end_type_column,
        "read_length": read_length_column,
        "reference_assembly": reference_assembly_column,
        "ora_reference": ora_reference_assembly_column,
    }
    meta: dict[str, list[tuple[str, str]]] = {
        "participant": [(c, c) for c in participant_meta_field or []]
        + _pairs("--participant-meta-field-map", participant_meta_field_map),
        "sample": [(c, c) for c in sample_meta_field or []]
        + _pairs("--sample-meta-field-map", sample_meta_field_map),
        "assay": [(c, c) for c in assay_meta_field or []]
        + _pairs("--assay-meta-field-map", assay_meta_field_map),
        "qc": _pairs("--qc-meta-field-map", qc_meta_field_map),
    }
    sheet = SheetColumns(
        {field: column for field, column in named.items() if column},
        {level: tuple(pairs) for level, pairs in meta.items() if pairs},
    )
    options.load(project, sheets, sheet)


@ingest_app.command("pedigree")
def ingest_pedigree(
    project: ProjectArgument,
    file: Annotated[Path, typer.Argument(help="A PED, TSV or CSV pedigree")],
    has_header: Annotated[
        bool | None,
        typer.Option("--header/--no-header", help="Whether the first row is a header (default: detect)"),
    ] = None,
    create_missing_participants: Annotated[
        bool, typer.Option(help="Create participants the project does not have yet")
    ] = False,
    sex_check: Annotated[bool, typer.Option(help="Fathers must be male, mothers female (or unknown)")] = True,
    as_json: JsonOption = False,
) -> None:
    """Import a pedigree through the server's pedigree import (families matched by external id)."""
    from genolog.ingest.commands import ingest_pedigree as run

    code = run(
        project,
        file,
        has_header=has_header,
        create_missing_participants=create_missing_participants,
        perform_sex_check=sex_check,
        as_json=as_json,
        console=Console(soft_wrap=True),
        err_console=err_console,
    )
    raise typer.Exit(code)
