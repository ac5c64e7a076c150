"""genolog's web area: what the metadata server publishes besides its APIs (local web storage)."""
