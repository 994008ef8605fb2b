"""The daily job and its schedule: :func:`run_job` (``paperradar run``) and
:func:`paperradar.daily.daemon.run_daemon` (``paperradar daemon``). See docs/deploy.md."""

from paperradar.daily.job import DEPENDS, EXIT_CODES, STEPS, JobOptions, JobReport, Step, run_job, step_line

__all__ = ["DEPENDS", "EXIT_CODES", "STEPS", "JobOptions", "JobReport", "Step", "run_job", "step_line"]
