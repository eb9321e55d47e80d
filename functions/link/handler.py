"""Link state machine tasks: read the catalog a few pages at a time, match one shard of listings
against that read, or reconcile one shard of links against the channel."""

import gc

gc.disable()  # until the cold import is done: shared/handlers.py, imported

from dataclasses import asdict
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, TypeAdapter

from shared.domain.model import Model
from shared.handlers import imported, observability
from shared.services.linking import match_shard, read_catalog
from shared.services.reconciling import reconcile_shard

logger, tracer = observability()
imported()


class ReadCatalog(Model):
    step: Literal["read"]
    job_id: str
    cursor: str | None = None


class MatchShard(Model):
    step: Literal["match"]
    job_id: str
    shard: int
    after: str | None = None


class ReconcileShard(Model):
    step: Literal["reconcile"]
    job_id: str
    shard: int
    after: str | None = None


Step = TypeAdapter[ReadCatalog | MatchShard | ReconcileShard](
    Annotated[ReadCatalog | MatchShard | ReconcileShard, Field(discriminator="step")]
)


@logger.inject_lambda_context(correlation_id_path="job_id")
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = Step.validate_python(event)
    match step:
        case ReadCatalog():
            return asdict(read_catalog(step.job_id, step.cursor))
        case MatchShard():
            return asdict(match_shard(step.job_id, step.shard, step.after))
        case ReconcileShard():
            return asdict(reconcile_shard(step.job_id, step.shard, step.after))
