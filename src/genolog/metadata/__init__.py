"""The metadata service: participants, families, samples, assays, sequencing groups and analyses,
with a REST API (``api/``), a GraphQL API (``graphql/``), per-project roles and full history."""
