"""template.yaml's side of a channel's secrets (issue 17, part 7): a customer-managed key as an
option, used by every function that reads or writes the channels' secrets (through Secrets Manager
only), and the console API allowed to delete a removed channel's secret and schedule."""

from pathlib import Path
from typing import Any

import pytest

from tidemark.local.template import load, with_globals

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {
    name: with_globals(TEMPLATE, spec)
    for name, spec in RESOURCES.items()
    if spec["Type"] == "AWS::Serverless::Function"
}


def plain_statements(name: str) -> list[dict[str, Any]]:
    return [s for p in FUNCTIONS[name]["Policies"] if isinstance(p, dict) for s in p.get("Statement", [])]


def key_statements(name: str) -> list[dict[str, Any]]:
    """The statements a function gets only when the stack has its own key."""
    found = []
    for policy in FUNCTIONS[name]["Policies"]:
        if isinstance(policy, dict) and "Fn::If" in policy:
            condition, when_true, when_false = policy["Fn::If"]
            assert (condition, when_false) == ("UsesSecretsKey", {"Ref": "AWS::NoValue"})
            found += when_true["Statement"]
    return found


def reads_secrets(name: str) -> bool:
    return any("secretsmanager:GetSecretValue" in str(s["Action"]) for s in plain_statements(name))


def test_the_stack_can_have_its_own_key_for_the_secrets_rotated_and_kept():
    assert TEMPLATE["Parameters"]["SecretsKeyKind"]["AllowedValues"] == ["aws-managed", "customer-managed"]
    assert TEMPLATE["Parameters"]["SecretsKeyKind"]["Default"] == "aws-managed"
    assert TEMPLATE["Conditions"]["UsesSecretsKey"] == {
        "Fn::Equals": [{"Ref": "SecretsKeyKind"}, "customer-managed"]
    }
    key = RESOURCES["SecretsKey"]
    assert (key["Type"], key["Condition"], key["DeletionPolicy"]) == (
        "AWS::KMS::Key",
        "UsesSecretsKey",
        "Retain",
    )
    assert key["Properties"]["EnableKeyRotation"] is True
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SECRETS_KMS_KEY_ID"] == {
        "Fn::If": ["UsesSecretsKey", {"Fn::GetAtt": ["SecretsKey", "Arn"]}, ""]
    }


def test_every_function_that_reads_the_secrets_may_decrypt_them_only_through_secrets_manager():
    readers = sorted(name for name in FUNCTIONS if reads_secrets(name))
    assert readers == [
        "AmazonNotificationsFunction",  # the channel of a notification's seller id
        "ApiFunction",
        "AutoPushFunction",
        "LinkFunction",
        "PushFunction",
        "WebhookWorkerFunction",
        "WebhooksFunction",
    ]
    for name in readers:
        (statement,) = key_statements(name)
        assert statement["Resource"] == {"Fn::GetAtt": ["SecretsKey", "Arn"]}
        assert "kms:Decrypt" in statement["Action"]
        assert statement["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Sub"].startswith(
            "secretsmanager."
        )
    assert "kms:GenerateDataKey" in key_statements("ApiFunction")[0]["Action"]  # it writes them
    assert not [name for name in FUNCTIONS if key_statements(name) and not reads_secrets(name)]


def test_the_console_api_may_delete_a_removed_channels_secret_and_schedule():
    actions = [
        a
        for s in plain_statements("ApiFunction")
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert "secretsmanager:DeleteSecret" in actions and "scheduler:DeleteSchedule" in actions
