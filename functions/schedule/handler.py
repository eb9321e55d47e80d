"""EventBridge Scheduler's target: a channel's scheduled sync joins the channel's job queue."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

import uuid
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.job import JobKind, SyncMode
from shared.domain.model import Model
from shared.handlers import imported, observability
from shared.services.channels import UnknownChannel
from shared.services.jobs import JobRequest, start_job

logger, tracer = observability()
imported()


class ScheduledSync(Model):
    """The input each channel's schedule was given (shared.storage.schedules)."""

    channel: str
    mode: SyncMode
    # The firing's time, the same for every delivery of one firing. A schedule saved before its
    # input carried it still fires; saving it again makes a firing delivered twice queue one job.
    scheduled_at: datetime | None = None

    def job_id(self) -> str:
        """The id of this firing's job: a firing delivered again names the job it queued."""
        if self.scheduled_at is None:
            return uuid.uuid4().hex
        return uuid.uuid5(uuid.NAMESPACE_URL, f"tidemark:schedule:{self.channel}:{self.scheduled_at}").hex


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    scheduled = ScheduledSync.model_validate(event)
    logger.append_keys(channel=scheduled.channel, mode=scheduled.mode.value)
    try:
        request = JobRequest(channel=scheduled.channel, kind=JobKind.SYNC, mode=scheduled.mode)
        job = start_job(request, scheduled.job_id())
    except UnknownChannel:
        # A retry cannot help: the schedule outlived its channel.
        logger.warning("scheduled sync of a channel that no longer exists: ignored")
        return {"job_id": None}
    logger.info("scheduled sync queued", extra={"job_id": job.id})
    return {"job_id": job.id}
