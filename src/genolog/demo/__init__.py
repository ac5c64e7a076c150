"""`genolog demo`: the seeds' whole FastQE tutorial on this machine, from an empty data dir to reports in a browser."""
