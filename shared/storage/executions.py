"""Starting the job state machine's executions (Step Functions)."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from shared.settings import settings
from shared.storage.aws import client


def start_job(job_id: str, name: str | None = None) -> bool:
    """Start the job's execution, named after the job (or `name`: a guarded sync's pushing run);
    False when it was started before."""
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=settings().job_state_machine_arn,
            name=name or job_id,
            input=json.dumps({"job_id": job_id}),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return False
    return True
