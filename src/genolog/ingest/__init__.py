"""Ingesting manifests and pedigrees into a metadata server: ``genolog ingest manifest|pedigree``.

Modules: `columns` (header aliases), `manifest` (reading rows), `files` (finding files, sizes, md5s),
`reads` (file kinds, FASTQ pairing), `records` (grouping rows into the ingest records), `run` (the
steps in order, --skip-bad-rows), `report` (rich output), `pedigree` (the REST pedigree upload) and
`commands` (what the CLI calls).
"""
