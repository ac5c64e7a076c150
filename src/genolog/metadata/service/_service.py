"""The running service: its settings, its database and its id formats, shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

from genolog.metadata import inputs
from genolog.metadata.context import IdCodecs
from genolog.metadata.db import Database
from genolog.metadata.service.oidc_provider import OidcProvider
from genolog.metadata.settings import ServerSettings


@dataclass
class Service:
    settings: ServerSettings
    db: Database
    codecs: IdCodecs
    #: the OpenID Connect provider of ``[auth]``, when one is configured (its keys cached here)
    oidc: OidcProvider | None = field(default=None)

    @classmethod
    def create(cls, settings: ServerSettings, db: Database | None = None) -> Service:
        inputs.configure(settings.meta_max_bytes, settings.max_list_items)
        return cls(
            settings=settings,
            db=db or Database(settings.database_url),
            codecs=IdCodecs.create(
                settings.sample_prefix,
                settings.sample_check_offset,
                settings.sequencing_group_prefix,
                settings.sequencing_group_check_offset,
                settings.cohort_prefix,
            ),
            oidc=OidcProvider(settings.auth) if settings.auth.enabled else None,
        )

    def close(self) -> None:
        """Close the database's connections and the provider's HTTP connections (the service is done)."""
        self.db.dispose()
        if self.oidc is not None:
            self.oidc.close()
