"""The job state machine's own steps: start, planned, progress, finish, fail; the one step of an
auto_sync job's work, a page of one shard's listings flagged, and of a rules job's, a page of one
shard's links checked against the change; and, from EventBridge, a job's
execution that ended outside those steps (a step failed past its Catch, a timeout, an abort)."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

import contextlib
import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, TypeAdapter

from shared.domain.model import Model
from shared.handlers import imported, observability
from shared.services import jobs
from shared.services.flags import flag_shard_page
from shared.services.jobs import StartInput
from shared.services.rule_changes import rule_change_page

logger, tracer = observability()
imported()


class Start(Model):
    step: Literal["start"]
    input: StartInput


class Planned(Model):
    step: Literal["planned"]
    job_id: str


class Progress(Model):
    step: Literal["progress"]
    job_id: str


class Finish(Model):
    step: Literal["finish"]
    job_id: str


class Fail(Model):
    step: Literal["fail"]
    job_id: str
    error: dict[str, Any]  # Step Functions' Catch output: Error and Cause

    def reason(self) -> str:
        return _reason(self.error.get("Error"), self.error.get("Cause"))


def _reason(error: str | None, cause: str | None) -> str:
    """Step Functions' error and its cause, which is often a Lambda error as JSON."""
    told = cause or ""
    with contextlib.suppress(ValueError, AttributeError):
        told = json.loads(told).get("errorMessage", told)
    return f"{error or 'Error'}: {told}"


class RunEndedDetail(Model):
    name: str  # the execution's name: its job's id
    status: Literal["FAILED", "TIMED_OUT", "ABORTED"]
    error: str | None = None
    cause: str | None = None


class RunEnded(Model):
    """EventBridge's "Step Functions Execution Status Change" of a job's execution. (Powertools'
    EventBridgeModel would import every event model of its parser: 125 ms of cold start.)"""

    detail_type: Literal["Step Functions Execution Status Change"] = Field(alias="detail-type")
    detail: RunEndedDetail


class Page(Model):
    """A page of one shard: an auto_sync job's listings, or a rules job's links."""

    step: Literal["page"]
    kind: Literal["auto_sync", "rules"]
    job_id: str
    shard: int
    after: str | None = None


Step = TypeAdapter[Start | Planned | Progress | Finish | Fail | Page](
    Annotated[Start | Planned | Progress | Finish | Fail | Page, Field(discriminator="step")]
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "detail-type" in event:
        ended = RunEnded.model_validate(event).detail
        reason = _reason(ended.error, ended.cause)
        logger.warning(
            "job run ended", extra={"job_id": ended.name, "status": ended.status, "reason": reason}
        )
        return {"job_id": ended.name, "status": jobs.run_ended(ended.name, ended.status, reason).status.value}
    step = Step.validate_python(event)
    match step:
        case Start():
            return jobs.begin(step.input)
        case Planned():
            jobs.mark_planned(step.job_id)
            return {"job_id": step.job_id}
        case Progress():
            return {"job_id": step.job_id, **jobs.check_progress(step.job_id)}
        case Finish():
            return {"job_id": step.job_id, "status": jobs.finish(step.job_id).status.value}
        case Fail():
            logger.error("job failed", extra={"job_id": step.job_id, "reason": step.reason()})
            return {"job_id": step.job_id, "status": jobs.fail(step.job_id, step.reason()).status.value}
        case Page(kind="auto_sync"):
            return {"kind": step.kind, **asdict(flag_shard_page(step.job_id, step.shard, step.after))}
        case Page():
            return {"kind": step.kind, **asdict(rule_change_page(step.job_id, step.shard, step.after))}
