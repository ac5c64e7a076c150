"""genolog: an open platform for population-genomics cohorts."""

__version__ = "0.1.0"
