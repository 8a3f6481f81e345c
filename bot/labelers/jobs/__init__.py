"""Training labelers in the background: the uploaded data, RQ jobs, progress, reports, alerts.

Slack listeners start a training with :func:`start_training` and stop one with
:func:`request_cancel`; everything after that runs in RQ jobs (``alignbot worker``, or inside
``alignbot serve`` when no worker is running).
"""

from bot.labelers.jobs.cancel import request_cancel
from bot.labelers.jobs.start import (
    TrainingHandle,
    TrainingInProgressError,
    TrainingRequest,
    start_training,
)

__all__ = [
    "TrainingHandle",
    "TrainingInProgressError",
    "TrainingRequest",
    "request_cancel",
    "start_training",
]
