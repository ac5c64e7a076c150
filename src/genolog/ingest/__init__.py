"""Ingesting manifests, metadata sheets and pedigrees into a metadata server: ``genolog ingest``.

Modules: `columns` (header aliases), `manifest` (reading rows), `metadata_sheet` (columns named by
options, meta maps), `files` (finding files, sizes, md5s), `attached` (index files, references, the
unlisted-files check), `reads` (file kinds, FASTQ pairing), `records` (grouping rows into a plan),
`payload` (the ingest records), `run` (the steps in order, --skip-bad-rows), `report` (rich output),
`pedigree` (the REST pedigree upload), `commands` (what the CLI calls) and `cli` (the typer commands).
"""
