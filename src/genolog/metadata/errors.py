"""The metadata service's errors. Each maps to one HTTP status at the API edge (see ``api/errors.py``)."""

from __future__ import annotations


class MetadataError(Exception):
    """Base class: ``str(error)`` is the description shown to the caller."""

    status_code = 500


class BadRequest(MetadataError, ValueError):
    """The request is malformed or breaks a rule of the data model."""

    status_code = 400


class Unauthenticated(MetadataError):
    status_code = 401


class Forbidden(MetadataError):
    status_code = 403


class NotFound(MetadataError):
    status_code = 404


class PayloadTooLarge(MetadataError):
    """The request, or one record of a streamed request, is over the server's size limit."""

    status_code = 413


class Unavailable(MetadataError):
    """The database cannot be reached or opened."""

    status_code = 503


class Conflict(MetadataError):
    """The request would duplicate something unique (an external id, a project name)."""

    status_code = 409
