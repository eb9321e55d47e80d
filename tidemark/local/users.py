"""The console's users on the laptop: one per group of the template's user pool (operator, viewer),
each named as its group, with a permanent random password that `tidemark local up` prints."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import boto3

from tidemark.local.deploy import Deployment
from tidemark.local.template import REGION


@dataclass(frozen=True)
class LocalUser:
    username: str
    password: str
    group: str


def _password() -> str:
    # The pool's policy wants every kind of character; token_urlsafe may lack one.
    return f"{secrets.token_urlsafe(18)}-Tm7"


def create_users(deployment: Deployment) -> dict[str, LocalUser]:
    """group -> its user, in the template's one user pool (none: the template has no pool)."""
    pools = [d.ref for d in deployment.resources.values() if d.type == "AWS::Cognito::UserPool"]
    if not pools:
        return {}
    (pool,) = pools
    groups = [d.ref for d in deployment.resources.values() if d.type == "AWS::Cognito::UserPoolGroup"]
    cognito = boto3.client("cognito-idp", region_name=REGION)
    users = {}
    for group in groups:
        user = LocalUser(group, _password(), group)
        cognito.admin_create_user(UserPoolId=pool, Username=user.username, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=user.username, Password=user.password, Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=user.username, GroupName=group)
        users[group] = user
    return users
