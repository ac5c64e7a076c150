"""The analysis runner: run a committed script as a driver with a dataset's config, recorded in the
metadata service (CPG's ``analysis-runner``, on genolog's local backend).

    genolog analysis-runner --dataset sandbox --description "QC" -o qc/v1 python3 scripts/qc.py --flag

See `genolog.runner.run` for the steps and `genolog.runner.runconfig` for how the config is merged.
"""

from genolog.runner.errors import RunnerError
from genolog.runner.spec import RunSpec, make_spec

__all__ = ["RunSpec", "RunnerError", "make_spec"]
