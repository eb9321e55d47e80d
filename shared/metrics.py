"""The dashboard's figures per channel: CloudWatch embedded metric format (EMF) through Powertools.

One EMF line a call, with its own `channel` dimension, so a batch that spans channels counts each
under its own (a handler's `Metrics` holds one dimension set for all it emits). Nothing here is
read back; Powertools' POWERTOOLS_METRICS_DISABLED silences it (local mode).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider


def emit(
    channel: str, figures: Mapping[str, float], unit: MetricUnit = MetricUnit.Count, **dimensions: str
) -> None:
    figures = {name: value for name, value in figures.items() if value}
    if not figures:
        return
    line = AmazonCloudWatchEMFProvider()
    line.add_dimension(name="channel", value=channel)
    for dimension, label in dimensions.items():
        line.add_dimension(name=dimension, value=label)
    for name, value in figures.items():
        line.add_metric(name=name, unit=unit, value=value)
    line.flush_metrics()
