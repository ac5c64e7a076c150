"""The fields of an analysis-runner record, in the order the published client sends them."""

RECORD_FIELDS = (
    "ar_guid",
    "access_level",
    "repository",
    "commit",
    "script",
    "description",
    "driver_image",
    "config_path",
    "cwd",
    "environment",
    "hail_version",
    "batch_url",
    "submitting_user",
    "output_path",
)

#: genolog's additions, which the runner sets: the run's status and, once the driver ends, its outcome.
OUTCOME_FIELDS = ("status", "exit_code", "duration_seconds", "finished_at")

#: A run is `running` from its start until the driver ends; records made by other clients are `unknown`.
RUN_STATUSES = ("unknown", "running", "succeeded", "failed", "cancelled")
FINAL_STATUSES = ("succeeded", "failed", "cancelled")
