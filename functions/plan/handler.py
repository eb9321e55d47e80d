"""Sync state machine task: plan one SKU shard (its push messages go to the FIFO queue)."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.model import Model
from shared.handlers import imported, observability
from shared.services.planning import plan_shard

logger, tracer = observability()
imported()


class PlanShardEvent(Model):
    job_id: str
    shard: int


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = PlanShardEvent.model_validate(event)
    return asdict(plan_shard(request.job_id, request.shard))
