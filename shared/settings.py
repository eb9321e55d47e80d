"""The settings every handler reads from its environment (set by template.yaml's Globals)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    push_queue_url: str
    webhook_queue_url: str
    auto_push_queue_url: str
    push_back_queue_url: str
    push_dead_letter_queue_url: str
    webhook_dead_letter_queue_url: str
    auto_push_dead_letter_queue_url: str
    stream_failure_queue_url: str
    push_shards: int
    smart_overlap_seconds: int
    history_retention_days: int
    secrets_prefix: str
    webhook_secrets_prefix: str
    job_state_machine_arn: str
    schedule_group: str
    scheduler_role_arn: str
    schedule_function_arn: str
    secrets_kms_key_id: str = ""  # a customer-managed key for the channels' secrets (template option)
    # A channel's guard before one is set (shared.domain.guard): on. TIDEMARK_GUARD_DEFAULT=off is
    # for runs that are not about the guard (the tests written before it, the soak, the benches).
    guard_on_by_default: bool = True


@cache
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env["TABLE_NAME"],
        push_queue_url=env["PUSH_QUEUE_URL"],
        webhook_queue_url=env["WEBHOOK_QUEUE_URL"],
        auto_push_queue_url=env["AUTO_PUSH_QUEUE_URL"],
        push_back_queue_url=env["PUSH_BACK_QUEUE_URL"],
        push_dead_letter_queue_url=env["PUSH_DEAD_LETTER_QUEUE_URL"],
        webhook_dead_letter_queue_url=env["WEBHOOK_DEAD_LETTER_QUEUE_URL"],
        auto_push_dead_letter_queue_url=env["AUTO_PUSH_DEAD_LETTER_QUEUE_URL"],
        stream_failure_queue_url=env["STREAM_FAILURE_QUEUE_URL"],
        push_shards=int(env["PUSH_SHARDS"]),
        smart_overlap_seconds=int(env["SMART_OVERLAP_SECONDS"]),
        history_retention_days=int(env["HISTORY_RETENTION_DAYS"]),
        secrets_prefix=env["SECRETS_PREFIX"],
        webhook_secrets_prefix=env["WEBHOOK_SECRETS_PREFIX"],
        job_state_machine_arn=env["JOB_STATE_MACHINE_ARN"],
        schedule_group=env["SCHEDULE_GROUP"],
        scheduler_role_arn=env["SCHEDULER_ROLE_ARN"],
        schedule_function_arn=env["SCHEDULE_FUNCTION_ARN"],
        secrets_kms_key_id=env.get("SECRETS_KMS_KEY_ID", ""),
        guard_on_by_default=env.get("TIDEMARK_GUARD_DEFAULT", "on") != "off",
    )
