"""A project's link to seqr: its family GUID map, and pushing its data to its seqr project, with the calls
Metamist's seqr layer makes (seqr's ``/api/project/sa/...`` routes).

The seqr server is the ``[seqr]`` section of the server settings (``settings.SeqrSettings``); without a
``url`` every call here is a 400 naming the setting. A project's seqr project for a sequencing type is the
GUID in its meta under ``seqr-project-<type>``.

A sync sends, in this order and each when asked for: the pedigree (when it fails, nothing else is sent),
the families, the individual metadata (phenotypes), the latest ES index of each dataset type asked for
(with a participant <-> sequencing group map written under ``map_location`` for seqr to read), the
saved-variants refresh, and the CRAM paths for IGV. A step that fails is reported in ``errors`` and the
rest still run. Unlike Metamist, nothing is posted to Slack: ``post_slack_notification`` only adds a
message saying so.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel

from genolog.metadata.errors import BadRequest, MetadataError
from genolog.metadata.models_web import SeqrDatasetType
from genolog.metadata.permissions import READ, WRITE
from genolog.metadata.service import seqr_data
from genolog.metadata.service.project_summary import seqr_meta_key
from genolog.metadata.service.session import Session
from genolog.metadata.settings import SeqrSettings

ES_INDEX_STAGES = {
    SeqrDatasetType.SNV_INDEL: "MtToEs",
    SeqrDatasetType.SV: "MtToEsSv",
    SeqrDatasetType.SV_WES: "MtToEsCNV",
    SeqrDatasetType.MITO: "MtToEsMito",
}
IGV_UPDATES_AT_ONCE = 10
SAVED_VARIANTS_TRIES = 3


class SeqrNotConfigured(BadRequest):
    """The server has no seqr server to talk to (a setting is missing)."""


class SeqrUnavailable(MetadataError):
    """seqr could not be reached, or refused a call."""

    status_code = 502


class SeqrSyncResult(BaseModel):
    success: bool
    messages: list[str]
    errors: list[str] | None = None


def _configured(settings: SeqrSettings) -> str:
    if not settings.url:
        raise SeqrNotConfigured(
            "No seqr server is configured: set url in the [seqr] section of the server's config file "
            "(or GENOLOG_SEQR__URL)"
        )
    return settings.url.rstrip("/")


def _guid(row: Any, sequencing_type: str) -> str:
    guid = (row["meta"] or {}).get(seqr_meta_key(sequencing_type))
    if not guid:
        raise BadRequest(
            f"The project {row['name']} does NOT have an appropriate seqr project attached for "
            f"{sequencing_type} (meta key {seqr_meta_key(sequencing_type)!r})"
        )
    return str(guid)


class _Seqr:
    """Calls to one seqr server; a failed call raises ``SeqrUnavailable`` naming it."""

    def __init__(self, settings: SeqrSettings, url: str) -> None:
        headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
        self.client = httpx.Client(base_url=url, headers=headers, timeout=settings.timeout)

    def call(
        self, method: str, path: str, body: Any = None, ok: Callable[[httpx.Response], bool] | None = None
    ) -> httpx.Response:
        try:
            response = self.client.request(method, path, json=body)
        except httpx.HTTPError as e:
            raise SeqrUnavailable(f"seqr could not be reached for {method} {path}: {e}") from None
        if response.is_error and not (ok and ok(response)):
            raise SeqrUnavailable(
                f"seqr answered {response.status_code} {response.reason_phrase} to {method} {path}: "
                f"{response.text[:500]}"
            )
        return response

    def close(self) -> None:
        self.client.close()


def family_guid_map(
    session: Session, project: str, sequencing_type: str, settings: SeqrSettings
) -> dict[str, str]:
    """seqr's map of the project's families (external id -> seqr family GUID) for the sequencing type."""
    row = session.project(project, READ)
    url = _configured(settings)
    guid = _guid(row, sequencing_type)
    seqr = _Seqr(settings, url)
    try:
        answer = seqr.call("GET", f"/api/project/sa/{guid}/families/mapping").json()
    except ValueError:
        raise SeqrUnavailable("seqr's family GUID map is not JSON") from None
    finally:
        seqr.close()
    mapping = answer.get("familyGuidById", {}) if isinstance(answer, dict) else None
    if not isinstance(mapping, dict):
        raise SeqrUnavailable("seqr's family GUID map has no familyGuidById object")
    return {str(k): str(v) for k, v in mapping.items()}


def _map_file(location: str, guid: str, rows: list[tuple[str, str]]) -> str:
    """Write seqr's sample (sequencing group) -> individual map under ``location``; its path."""
    from genolog.paths import is_cloud_path, to_path

    stamp = datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat()
    name = re.sub(r"[/\\?%*:|'<>\x7F\x00-\x1F]", "-", f"{guid}_pid_sgid_map_{stamp}.tsv")
    path = f"{location.rstrip('/')}/{name}"
    target = to_path(path)
    if not is_cloud_path(path):
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(f"{group}\t{person}" for person, group in rows))
    return path


class _Sync:
    def __init__(
        self, session: Session, project_id: int, sequencing_type: str, guid: str, seqr: _Seqr
    ) -> None:
        self.session, self.project_id, self.type, self.guid, self.seqr = (
            session,
            project_id,
            sequencing_type,
            guid,
            seqr,
        )
        self.fmt_group = session.codecs.sequencing_group.format

    def url(self, route: str) -> str:
        return f"/api/project/sa/{self.guid}/{route}"

    def pedigree(self, family_ids: list[int]) -> list[str]:
        rows = seqr_data.pedigree(self.session, self.project_id, family_ids)
        if not rows:
            return ["No pedigree to synchronise"]
        self.seqr.call("POST", self.url("individuals/sync"), {"individuals": rows})
        return [f"Uploaded {len(rows)} rows of pedigree data"]

    def families(self, family_ids: list[int]) -> list[str]:
        rows = seqr_data.families(self.session, family_ids)
        if not rows:
            return ["No families to synchronise"]
        self.seqr.call("POST", self.url("families/sync"), {"families": rows})
        return [f"Synchronised {len(rows)} families"]

    def individual_metadata(self, participant_families: dict[int, int]) -> list[str]:
        records = seqr_data.individual_metadata(self.session, self.project_id, participant_families)
        if not records:
            return ["No individual metadata to synchronise"]

        def nothing_to_update(response: httpx.Response) -> bool:
            return response.status_code == 400 and "Unable to find individuals to update" in response.text

        response = self.seqr.call(
            "POST", self.url("individuals_metadata/sync"), {"individuals": records}, nothing_to_update
        )
        if nothing_to_update(response):
            return [f"No individual metadata needed updating (from {len(records)} rows)"]
        return [f"Uploaded individual metadata for {len(records)} individuals"]

    def es_index(self, types: list[SeqrDatasetType], groups: set[int], map_location: str) -> list[str]:
        rows = [
            (person, self.fmt_group(group))
            for person, group in seqr_data.participant_group_map(self.session, self.project_id, self.type)
        ]
        map_path = _map_file(map_location, self.guid, rows)
        indexes = seqr_data.es_indexes(self.session, self.project_id, self.type)
        if not indexes:
            return ["No ES index to synchronise"]
        messages = []
        for kind in types:
            of_kind = [x for x in indexes if x.stage == ES_INDEX_STAGES[kind]]
            if not of_kind:
                messages.append(f"No ES index to synchronise for {kind.value}")
                continue
            latest = of_kind[-1]
            if groups:
                if len(of_kind) > 1:
                    added = sorted(latest.groups - of_kind[-2].groups)
                    if added:
                        messages.append(
                            f"Sequencing groups added to {latest.output}: "
                            + ", ".join(map(self.fmt_group, added))
                        )
                missing = sorted(groups - latest.groups)
                if missing:
                    messages.append(
                        f"Sequencing groups missing from {latest.output}: "
                        + ", ".join(map(self.fmt_group, missing))
                    )
            body = {
                "elasticsearchIndex": latest.output,
                "datasetType": kind.value,
                "mappingFilePath": map_path,
                "ignoreExtraSamplesInCallset": True,
            }
            response = self.seqr.call("POST", self.url("add_dataset/variants"), body)
            messages.append(
                f"Updated ES index {latest.output}: {response.status_code} - {response.reason_phrase}"
            )
        return messages

    def saved_variants(self) -> list[str]:
        for attempt in range(SAVED_VARIANTS_TRIES):
            try:
                self.seqr.call("POST", self.url("saved_variant/update"), {})
                break
            except SeqrUnavailable:
                if attempt == SAVED_VARIANTS_TRIES - 1:
                    raise
        return ["Updated saved variants"]

    def cram_map(self, participant_ids: list[int]) -> list[str]:
        rows = seqr_data.crams(self.session, self.project_id, self.type, participant_ids)
        if not rows:
            return ["No CRAMs to synchronise"]
        keep: Callable[[str], bool] = lambda output: True  # noqa: E731
        if self.type == "genome":
            keep = lambda output: "exome" not in output  # noqa: E731
        elif self.type == "exome":
            keep = lambda output: "exome" in output  # noqa: E731
        mapping: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            if row["output"] is not None and keep(row["output"]):
                mapping.setdefault(row["participant_id"], []).append(
                    {"filePath": row["output"], "sampleId": self.fmt_group(row["sequencing_group_id"])}
                )
        answer = self.seqr.call("POST", self.url("igv/diff"), {"mapping": mapping}).json()
        if not isinstance(answer, dict) or "updates" not in answer:
            return [f"All CRAMs ({len(rows)}) are up to date"]
        updates = answer["updates"] if isinstance(answer["updates"], list) else []
        failed = []
        for update in updates:
            try:
                self.seqr.call("POST", f"/api/individual/sa/{update['individualGuid']}/igv/update", update)
            except (SeqrUnavailable, KeyError, TypeError) as e:
                failed.append(f"{update.get('sampleId') if isinstance(update, dict) else update}: {e}")
        if failed:
            return [f"Could not update {len(failed)} IGV paths: {'; '.join(failed)}"]
        return [f"{len(updates)} (/{len(rows)}) CRAMs were updated"]


@dataclass(frozen=True)
class SyncSteps:
    """What a sync does, each step on unless turned off (the REST route's query parameters, as named)."""

    sync_families: bool = True
    sync_individual_metadata: bool = True
    sync_individuals: bool = True
    sync_es_index: bool = True
    sync_saved_variants: bool = True
    sync_cram_map: bool = True
    post_slack_notification: bool = True


def sync_dataset(
    session: Session,
    project: str,
    sequencing_type: str,
    es_index_types: list[SeqrDatasetType],
    settings: SeqrSettings,
    asked: SyncSteps = SyncSteps(),
) -> SeqrSyncResult:
    """Push the project's data of the sequencing type to its seqr project (the caller must be a writer)."""
    row = session.project(project, WRITE)
    url = _configured(settings)
    guid = _guid(row, sequencing_type)
    if asked.sync_es_index and not settings.map_location:
        raise SeqrNotConfigured(
            "Synchronising ES indexes writes a sample map for seqr to read: set map_location in the [seqr] "
            "section of the server's config file (or GENOLOG_SEQR__MAP_LOCATION), or pass sync_es_index=false"
        )
    found = seqr_data.participants(session, int(row["id"]), sequencing_type)
    family_ids = sorted(set(found.families.values()))
    if not family_ids:
        raise BadRequest("No families / participants to synchronize")
    participant_ids = sorted(found.families)
    groups = {g for gs in found.groups.values() for g in gs}
    seqr = _Seqr(settings, url)
    sync = _Sync(session, int(row["id"]), sequencing_type, guid, seqr)
    messages: list[str] = []
    errors: list[str] = []
    steps: list[Callable[[], list[str]]] = []
    if asked.sync_families:
        steps.append(lambda: sync.families(family_ids))
    if asked.sync_individual_metadata:
        steps.append(lambda: sync.individual_metadata(found.families))
    if asked.sync_es_index:
        steps.append(lambda: sync.es_index(es_index_types, groups, str(settings.map_location)))
    if asked.sync_saved_variants:
        steps.append(sync.saved_variants)
    if asked.sync_cram_map:
        steps.append(lambda: sync.cram_map(participant_ids))
    try:
        if asked.sync_individuals:  # first, and alone: the other steps need seqr to know the individuals
            try:
                messages += sync.pedigree(family_ids)
            except (SeqrUnavailable, OSError) as e:
                errors.append(str(e))
                steps = []
        for step in steps:
            try:
                messages += step()
            except (SeqrUnavailable, OSError, ValueError) as e:
                errors.append(str(e))
    finally:
        seqr.close()
    if asked.post_slack_notification:
        messages.append("No Slack notification sent: genolog does not post to Slack")
    return SeqrSyncResult(success=not errors, messages=messages, errors=errors or None)
