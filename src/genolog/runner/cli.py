"""``genolog analysis-runner``: parse the command line and call the runner; nothing else.

The first argument picks the mode, as upstream: ``config``, ``logs`` or ``list``; anything else is a run
(``genolog analysis-runner --dataset D --description … -o OUT python3 script.py --its args``).

A run's options are parsed strictly: the command starts at the first argument that is not an option (or
after ``--``), everything from there on is the command's, and an unknown option before it is an error.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from genolog.runner.errors import RunnerError

MODES = ("config", "logs", "list")


class _RunnerGroup(TyperGroup):
    """A group whose default command is ``run``: options and the script may come straight after it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in (*self.commands, "--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


#: click's UsageError as typer raises it (typer 0.25+ carries its own click): BadParameter's base class.
_UsageError: type[Exception] = typer.BadParameter.__base__ or Exception


class _StrictCommand(TyperCommand):
    """A command whose usage errors (an unknown option above all) are one ``error:`` line, exit code 2."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            result: list[str] = super().parse_args(ctx, args)
            return result
        except _UsageError as e:
            if hasattr(e, "possibilities"):  # click's NoSuchOption
                close = e.possibilities or []
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                message = f"no such option {getattr(e, 'option_name', '')}{hint}"
                if any(param.name == "command" for param in self.params):
                    message += (
                        "; the options come before the command, and `--` starts one that begins with a dash"
                    )
                message += "."
            else:
                message = getattr(e, "format_message", e.__str__)()
            typer.echo(f"error: {message}", err=True)
        raise typer.Exit(2)


runner_app = typer.Typer(
    cls=_RunnerGroup,
    help="Run a script from a git repository as an analysis-runner driver, recorded in the metadata service. "
    "Modes: run (the default), config, logs, list.",
    no_args_is_help=True,
)

Dataset = Annotated[str, typer.Option("--dataset", help="The dataset (a project on the metadata server)")]


class Level(enum.StrEnum):
    test = "test"
    standard = "standard"
    full = "full"


AccessLevel = Annotated[
    Level,
    typer.Option(
        "--access-level",
        help="test (the -test project and test storage), standard or full (reviewed code only)",
    ),
]
OutputDir = Annotated[
    str, typer.Option("-o", "--output-dir", help="Output prefix inside the dataset's storage (no gs://)")
]
Image = Annotated[
    str | None,
    typer.Option(
        "--image",
        help="The driver's image: it runs in it when a container runtime is configured "
        "(GENOLOG_CONTAINER_RUNTIME or [local_backend] container_runtime), else on this host",
    ),
]
Cpu = Annotated[
    str | None, typer.Option("--cpu", help="The driver's CPUs (Hail syntax: 2, 0.5, 250m); a limit")
]
Memory = Annotated[
    str | None,
    typer.Option("--memory", help="The driver's memory (Hail syntax: 4Gi, standard, highmem); a limit"),
]
Storage = Annotated[
    str | None,
    typer.Option(
        "--storage",
        help="The driver's disk (Hail syntax: 10Gi); a limit where the engine or Slurm enforces it",
    ),
]
Preemptible = Annotated[bool, typer.Option("--preemptible/--no-preemptible", help="Spot driver (recorded)")]
Env = Annotated[
    list[str] | None, typer.Option("-e", "--env", help="KEY=VAL for the driver's environment (repeatable)")
]
ConfigFiles = Annotated[
    list[Path] | None,
    typer.Option("--config", help="TOML merged over the runner's config (repeatable; later files win)"),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
Repository = Annotated[
    str | None,
    typer.Option(
        "--repository",
        "--repo",
        help="Run another repository's code: a local path or a git URL (default: the script's repository)",
    ),
]
Commit = Annotated[
    str | None, typer.Option("--commit", help="The commit to run: a sha, branch or tag (default: HEAD)")
]
Cwd = Annotated[
    str | None,
    typer.Option(
        "--cwd", help="The folder to run from, relative to the repository's root (default: your folder)"
    ),
]
AllowUncommitted = Annotated[
    bool,
    typer.Option(
        "--allow-uncommitted",
        help="Test access: run your uncommitted changes too (the run is recorded as dirty, with their hash)",
    ),
]
SkipRepoCheckout = Annotated[
    bool,
    typer.Option("--skip-repo-checkout", help="Run without a repository, in an empty folder (test access)"),
]
ConfigOutput = Annotated[
    Path | None, typer.Option("--config-output", help="Write the merged config (TOML) to this file")
]


def _fail(error: RunnerError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


def _spec(**values: Any) -> Any:
    from genolog.runner.spec import make_spec

    values["env"] = values.get("env") or []
    values["config_files"] = values.get("config_files") or []
    return make_spec(**values)


@runner_app.command("run", cls=_StrictCommand, context_settings={"allow_interspersed_args": False})
def run_command(
    dataset: Dataset,
    description: Annotated[str, typer.Option("--description", help="What the run is for (recorded)")],
    output_dir: OutputDir,
    command: Annotated[
        list[str], typer.Argument(help="The script and its arguments, e.g. python3 scripts/x.py --flag")
    ],
    access_level: AccessLevel = Level.test,
    image: Image = None,
    cpu: Cpu = None,
    memory: Memory = None,
    storage: Storage = None,
    preemptible: Preemptible = True,
    env: Env = None,
    config: ConfigFiles = None,
    repository: Repository = None,
    commit: Commit = None,
    cwd: Cwd = None,
    allow_uncommitted: AllowUncommitted = False,
    skip_repo_checkout: SkipRepoCheckout = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm full access")] = False,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach",
            help="Submit the driver as a job on the configured backend ([hail] backend: a background "
            "process, or Slurm) and return at once with the run's ar-guid",
        ),
    ] = False,
) -> None:
    """Run a script (the default mode): checks, config, record, driver, outcome."""
    from genolog.runner.run import execute, execute_detached

    try:
        if not description.strip():
            raise RunnerError("The description must not be empty: say what the run is for.")
        spec = _spec(
            dataset=dataset,
            access_level=access_level.value,
            output_dir=output_dir,
            description=description,
            image=image,
            cpu=cpu,
            memory=memory,
            storage=storage,
            preemptible=preemptible,
            env=env,
            config_files=config,
            command=command,
            repository=repository,
            commit=commit,
            cwd=cwd,
            allow_uncommitted=allow_uncommitted,
            skip_repo_checkout=skip_repo_checkout,
        )
        if (
            spec.access_level == "full"
            and not yes
            and not typer.confirm(f"Run at full access on {dataset}? It can change all of its data", err=True)
        ):
            raise RunnerError("The run was not started: full access was not confirmed.")
        if detach:
            typer.echo(execute_detached(spec, say=lambda text: typer.echo(text, err=True)))
            return
        code = execute(spec, say=lambda text: typer.echo(text, err=True))
    except RunnerError as e:
        raise _fail(e) from None
    raise typer.Exit(code)


@runner_app.command("config", cls=_StrictCommand)
def config_command(
    dataset: Dataset,
    output_dir: OutputDir,
    access_level: AccessLevel = Level.test,
    image: Image = None,
    config: ConfigFiles = None,
    config_output: ConfigOutput = None,
    as_json: AsJson = False,
) -> None:
    """Print the merged config a run would use (TOML), or write it to --config-output; nothing runs."""
    from genolog.config import to_toml
    from genolog.runner import runconfig
    from genolog.runner.run import config_for

    try:
        spec = _spec(
            dataset=dataset,
            access_level=access_level.value,
            output_dir=output_dir,
            image=image,
            config_files=config,
        )
        merged = config_for(spec)
        written = runconfig.write(merged, str(config_output)) if config_output is not None else None
    except RunnerError as e:
        raise _fail(e) from None
    if written is not None:
        typer.echo(f"analysis-runner: wrote the config to {written}", err=True)
        if not as_json:
            return
    typer.echo(json.dumps(merged, indent=2, default=str) if as_json else to_toml(merged), nl=as_json)


@runner_app.command("logs", cls=_StrictCommand)
def logs_command(
    ar_guid: Annotated[str, typer.Argument(help="The run's ar-guid")],
    as_json: AsJson = False,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Show the driver's output as it comes until the run ends; exit with its status",
        ),
    ] = False,
) -> None:
    """Show a run's record and the driver's captured output."""
    from genolog.runner.service import MetadataServer
    from genolog.runner.views import driver_log, record_lines

    try:
        server = MetadataServer()
        record = server.record(ar_guid)
    except RunnerError as e:
        raise _fail(e) from None
    if follow:
        if as_json:
            raise _fail(RunnerError("--follow shows the output as it comes; it does not go with --json."))
        from genolog.runner.follow import follow_run

        try:
            code = follow_run(server, record, lambda text: typer.echo(text, err=True))
        except RunnerError as e:
            raise _fail(e) from None
        raise typer.Exit(code)
    log = driver_log(record)
    if as_json:
        typer.echo(json.dumps({**record, "log": log}, indent=2, default=str))
        return
    for line in record_lines(record):
        typer.echo(line)
    typer.echo("")
    typer.echo("--- driver output ---" if log is not None else "--- driver output not available ---")
    if log:
        typer.echo(log, nl=not log.endswith("\n"))


@runner_app.command("list", cls=_StrictCommand)
def list_command(dataset: Dataset, as_json: AsJson = False) -> None:
    """List a dataset's runs (and its -test twin's), newest first."""
    from genolog.runner.service import MetadataServer
    from genolog.runner.views import runs_of, runs_table

    try:
        runs = runs_of(MetadataServer(), dataset)
    except RunnerError as e:
        raise _fail(e) from None
    if as_json:
        typer.echo(json.dumps(runs, indent=2, default=str))
    else:
        Console(soft_wrap=True).print(runs_table(runs))
