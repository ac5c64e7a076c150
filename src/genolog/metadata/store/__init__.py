"""The metadata service's data access: explicit SQL, one module per entity, working in a ``Tx``."""
