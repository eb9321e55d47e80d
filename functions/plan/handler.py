"""Sync state machine task: plan one SKU shard (its push messages go to the FIFO queue)."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from shared.handlers import observability
from shared.services.planning import plan_shard

logger, tracer = observability(patch_http=False)


class PlanShardEvent(BaseModel):
    job_id: str
    shard: int


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = PlanShardEvent.model_validate(event)
    return asdict(plan_shard(request.job_id, request.shard))
