"""`genolog qc`: read every input, print FastQE's text lines, and write the optional HTML/JSON reports."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from genolog import __version__
from genolog.qc._parser import compute_stats
from genolog.qc._reader import InputError, Source, iter_blocks, open_source
from genolog.qc.emoji import CustomTableError, SymbolTable, choose_table
from genolog.qc.stats import FileStats, FormatError
from genolog.qc.text import HEADER, scale_lines, stat_lines

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

STDIN_LABEL = "-"
log = logging.getLogger("genolog.qc")
log.addHandler(logging.NullHandler())  # errors reach stderr through report_error; `--log` adds a file


@dataclass
class QcOptions:
    """What to compute and where to write it; the defaults match a bare `fastqe FILE...`."""

    files: list[str] = field(default_factory=list)
    show_min: bool = False
    show_max: bool = False
    binned: bool = False
    noemoji: bool = False
    custom: str | None = None
    scale: bool = False
    noheader: bool = False
    output: str | None = None  # text output file; None = stdout
    html: str | None = None  # "-" = write the HTML report to the text output instead of text lines
    json: str | None = None
    minlen: int = 0
    window: int = 1
    fastqe_version: str = "0.5.2"
    program: str = "genolog qc"
    progress: bool = True


@dataclass
class QcResult:
    stats: list[FileStats]
    errors: list[tuple[str, str]]  # (file as given, message)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def _progress(enabled: bool) -> Progress | None:
    """A progress bar per input on stderr, only for a person at a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def analyse(
    label: str,
    minlen: int = 0,
    stdin: BinaryIO | None = None,
    on_advance: Callable[[Source], None] | None = None,
) -> FileStats:
    """Statistics of one input (a path, or `stdin` when given); raises InputError/FormatError."""
    source = open_source(label, stdin=stdin)
    try:
        callback = (lambda: on_advance(source)) if on_advance else None
        stats = compute_stats(label, iter_blocks(source), minlen=minlen, on_block=callback)
        stats.compression = source.compression
        return stats
    finally:
        source.close()


def _inputs(files: list[str]) -> list[str]:
    return files if files else [STDIN_LABEL]


def collect(
    options: QcOptions,
    report_error: Callable[[str, str], None],
    on_file: Callable[[FileStats], None] | None = None,
) -> QcResult:
    """Analyse every input in order; a failing input is reported and skipped, the others still run."""
    stats: list[FileStats] = []
    errors: list[tuple[str, str]] = []
    progress = _progress(options.progress)
    with progress or nullcontext():
        for label in _inputs(options.files):
            log.info("Processing FASTQ file from %s", "stdin" if label == STDIN_LABEL else label)
            task = None
            on_advance = None
            if progress is not None:
                task = progress.add_task(label, total=None)

                def on_advance(src: Source, task: TaskID = task) -> None:
                    progress.update(task, completed=src.raw_position(), total=src.size)

            st: FileStats | None = None
            try:
                stdin = sys.stdin.buffer if label == STDIN_LABEL else None
                st = analyse(label, options.minlen, stdin=stdin, on_advance=on_advance)
            except (InputError, FormatError) as e:
                log.error("%s: %s", label, e)
                errors.append((label, str(e)))
                report_error(label, str(e))
            finally:
                if progress is not None and task is not None:
                    progress.remove_task(task)
            if st is not None:
                stats.append(st)
                if on_file is not None:
                    on_file(st)
    return QcResult(stats, errors)


@contextmanager
def _text_out(path: str | None) -> Iterator[TextIO]:
    if path is None or path == STDIN_LABEL:
        try:
            fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # stdout replaced by an in-memory stream
            yield sys.stdout
            return
        # UTF-8 whatever the locale: the emoji must survive a C locale
        stream = open(fd, "w", encoding="utf-8", newline="\n", closefd=False)  # noqa: SIM115
        try:
            yield stream
        finally:
            stream.flush()
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            yield f


def _print_stdout(lines: list[str]) -> None:
    sys.stdout.flush()
    with _text_out(None) as out:
        for line in lines:
            out.write(line + "\n")


def run(options: QcOptions, *, stderr: TextIO | None = None) -> int:
    """Run QC as the CLI does and return the exit code (0, or 1 if any input failed)."""
    err = stderr or sys.stderr

    def report_error(label: str, message: str) -> None:
        err.write(f"{options.program}: error: {label}: {message}\n")
        err.flush()

    try:
        table = choose_table(
            custom=options.custom,
            noemoji=options.noemoji,
            binned=options.binned,
            fastqe_version=options.fastqe_version,
        )
    except CustomTableError as e:
        err.write(f"{options.program}: error: {e}\n")
        return 2
    html_to_text_output = options.html == STDIN_LABEL
    try:
        with _text_out(options.output) as out:
            if not options.noheader and not html_to_text_output:
                out.write(HEADER + "\n")
                out.flush()
            if options.scale:
                _print_stdout(scale_lines(table))
            if not options.files:
                err.write(
                    "Processing FASTQ file from stdin, press Ctrl-C to cancel. "
                    f"{options.program} --help for more info\n"
                )
            # FastQE 0.5.x prints only the mean line when an HTML report is requested
            with_extra = options.html is None

            def print_file(st: FileStats) -> None:
                """Each file's lines as soon as it is done, as FastQE prints them."""
                if html_to_text_output:
                    return
                show_min, show_max = options.show_min and with_extra, options.show_max and with_extra
                for line in stat_lines(st, table, show_min=show_min, show_max=show_max):
                    out.write(line + "\n")
                out.flush()
                if st.format == "fasta":
                    err.write(
                        f"{options.program}: note: {st.name} is FASTA: it has no qualities, "
                        "so only read-length statistics are reported (in --html and --json)\n"
                    )

            result = collect(options, report_error, on_file=print_file)
            if html_to_text_output:
                out.write(render_html(result, table, options))
        if options.html and not html_to_text_output:
            Path(options.html).write_text(render_html(result, table, options), encoding="utf-8")
        if options.json:
            Path(options.json).write_text(json.dumps(json_report(result)) + "\n", encoding="utf-8")
    except OSError as e:
        err.write(f"{options.program}: error: cannot write {e.filename or 'output'}: {e.strerror or e}\n")
        return 1
    return result.exit_code


def render_html(result: QcResult, table: SymbolTable, options: QcOptions) -> str:
    from genolog.qc.html import render_report  # jinja2 is only loaded when a report is asked for

    return render_report(result.stats, table, window=options.window, errors=result.errors)


def json_report(result: QcResult) -> dict[str, object]:
    return {
        "genolog_version": __version__,
        "files": [st.to_dict() for st in result.stats],
        "errors": [{"name": name, "error": message} for name, message in result.errors],
    }
