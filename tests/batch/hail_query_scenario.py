"""A Hail Query script started by genolog's `init_batch()` on the local backend (Spark local mode).

Run by tests/batch/test_batch_hail_query.py with the interpreter of a venv holding ``genolog[hail]``,
with ``GENOLOG_DATA_DIR`` set and no config file (genolog's default: the local backend):

    python hail_query_scenario.py WORKDIR

writes WORKDIR/result.json: what Hail computed, each figure both by a Hail aggregation and in Python
over the collected values, and where Hail kept its files.
"""

from __future__ import annotations

import collections
import json
import statistics
import sys
from pathlib import Path

import hail as hl

from genolog.batch.helpers import init_batch
from genolog.existence_checks import exists_not_cached
from genolog.paths import dataset_path

N_POPULATIONS, N_SAMPLES, N_VARIANTS = 3, 40, 150


def main() -> None:
    workdir = Path(sys.argv[1])
    init_batch(global_seed=11)  # the seed goes on to hl.init
    init_batch(global_seed=99)  # once per process: no second start, no warning

    # written first (Hail's checkpoint: write, then read back), so the queries below read the table
    target = dataset_path("bn.mt")
    mt = hl.balding_nichols_model(N_POPULATIONS, N_SAMPLES, N_VARIANTS, n_partitions=3)
    mt = mt.annotate_rows(alt_count=hl.agg.sum(mt.GT.n_alt_alleles()))
    mt = mt.checkpoint(target)
    n_variants, n_samples = mt.count()
    n_alt = mt.GT.n_alt_alleles().collect()
    by_hail = mt.aggregate_entries(
        hl.struct(mean=hl.agg.mean(mt.GT.n_alt_alleles()), total=hl.agg.sum(mt.GT.n_alt_alleles()))
    )
    rows = mt.rows()
    alt_counts = rows.alt_count.collect()
    populations = mt.pop.collect()

    result = {
        "backend": type(hl.current_backend()).__name__,
        "parallelism": hl.spark_context().defaultParallelism,
        "driver_memory": hl.spark_context().getConf().get("spark.driver.memory"),
        "jvm_max_memory": hl.spark_context()._jvm.java.lang.Runtime.getRuntime().maxMemory(),
        "default_reference": hl.default_reference().name,
        "locus_type": str(mt.locus.dtype),
        "count": [n_variants, n_samples],
        "entries_collected": len(n_alt),
        "mean_by_hail": by_hail.mean,
        "mean_in_python": statistics.fmean(n_alt),
        "alt_total_by_hail": by_hail.total,
        "alt_total_of_rows": sum(alt_counts),
        "alt_total_in_python": sum(n_alt),
        "populations_by_hail": {str(k): v for k, v in mt.aggregate_cols(hl.agg.counter(mt.pop)).items()},
        "populations_in_python": {str(k): v for k, v in collections.Counter(populations).items()},
        "written": {"path": target, "exists": exists_not_cached(target)},
        "tmp_dir": hl.tmp_dir(),
        "dataset_tmp": dataset_path("batch-tmp", "tmp"),
        "logs": sorted(str(p) for p in Path(dataset_path("batch-tmp/logs", "tmp")).glob("hail-*.log")),
    }
    (workdir / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
