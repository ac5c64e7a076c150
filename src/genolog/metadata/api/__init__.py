"""The REST API under ``/api/v1``, with the paths and operation ids of the published ``metamist`` client."""
