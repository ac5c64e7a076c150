"""Uploaded CSV and TSV files, read as Metamist reads them: the delimiter as given (``\\t`` for a tab), else
from the file name (``.csv``, ``.tsv``, ``.ped``), else sniffed from the first line."""

from __future__ import annotations

import csv
import io

from fastapi import UploadFile

from genolog.metadata.errors import BadRequest
from genolog.metadata.inputs import check_text

DELIMITERS = {".csv": ",", ".tsv": "\t", ".ped": "\t"}


def _delimiter(text: str, filename: str, given: str | None) -> str:
    if given:
        delimiter = given.replace("\\t", "\t")
        if len(delimiter) != 1:
            raise BadRequest(f"The delimiter must be one character, got {given!r}")
        return delimiter
    for extension, delimiter in DELIMITERS.items():
        if filename.lower().endswith(extension):
            return delimiter
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(first).delimiter
    except csv.Error:
        raise BadRequest(
            f"Cannot tell the delimiter of {filename!r} from its name or first line: give the delimiter"
        ) from None


async def read_table(file: UploadFile, delimiter: str | None, what: str) -> list[list[str]]:
    """The rows of an uploaded table, as cells."""
    try:
        text = (await file.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(f"The {what} {file.filename!r} is not UTF-8 text") from None
    check_text(text, f"The {what}")
    filename = file.filename or ""
    try:
        return list(csv.reader(io.StringIO(text), delimiter=_delimiter(text, filename, delimiter)))
    except csv.Error as error:  # a field over csv's size limit, an unfinished quote at the end
        raise BadRequest(f"The {what} {filename!r} cannot be read as a table: {error}") from None
