"""Sign-in and roles on the local stack: the HTTP API's JWT authorizer as API Gateway runs it (one
test per refusal), the roles the API function enforces, and the local Cognito endpoint."""

import json
import time

import boto3
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from tidemark.auth import AMZ_JSON, INITIATE_AUTH

pytestmark = pytest.mark.integration

# The key moto signs its pools' tokens with (the private half of the JWKS it serves, kid "dummy").
POOL_KEY = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key


@pytest.fixture(scope="module")
def pool(stack):
    return stack.deployment.outputs["UserPoolId"], stack.deployment.outputs["UserPoolClientId"]


@pytest.fixture(scope="module")
def operator_token(stack):
    return stack.login("operator").access_token


def get(stack, path, token=None, **kwargs):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{stack.api_url}{path}", headers=headers, timeout=30, **kwargs)


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def forged(claims: dict, key=POOL_KEY) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def assert_refused(answer, fragment: str) -> None:
    assert answer.status_code == 401, answer.text
    assert fragment in answer.json()["message"]
    assert answer.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_no_token_is_401(stack):
    assert_refused(get(stack, "/v1/channels"), "no Authorization header")
    answer = httpx.get(f"{stack.api_url}/v1/channels", headers={"authorization": "Basic eDp5"}, timeout=30)
    assert_refused(answer, "is not 'Bearer <access token>'")


def test_a_token_signed_with_another_key_is_401(stack, operator_token):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_refused(get(stack, "/v1/channels", forged(claims_of(operator_token), other)), "not valid")
    assert_refused(get(stack, "/v1/channels", "not.a.jwt"), "not a JWT")


def test_a_token_of_another_issuer_is_401(stack, operator_token):
    claims = {
        **claims_of(operator_token),
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other",
    }
    assert_refused(get(stack, "/v1/channels", forged(claims)), "issued by another user pool")


def test_a_token_for_another_app_client_is_401(stack, operator_token):
    claims = {**claims_of(operator_token), "client_id": "another-client"}
    assert_refused(get(stack, "/v1/channels", forged(claims)), "another app client")


def test_an_expired_token_is_401(stack, operator_token):
    claims = {**claims_of(operator_token), "exp": int(time.time()) - 5}
    assert_refused(get(stack, "/v1/channels", forged(claims)), "expired")


def test_an_id_token_is_401(stack):
    id_token = initiate(stack, "USER_PASSWORD_AUTH", **credentials(stack, "operator")).json()
    assert_refused(get(stack, "/v1/channels", id_token["AuthenticationResult"]["IdToken"]), "access token")


def test_a_good_token_reaches_the_function_with_its_claims(stack, operator_token):
    assert get(stack, "/v1/channels", operator_token).status_code == 200
    claims = forged(claims_of(operator_token))  # the pool's own key: as good as moto's token
    assert get(stack, "/v1/channels", claims).status_code == 200


def test_the_open_routes_need_no_token(stack, pool):
    assert get(stack, "/v1/openapi.json").status_code == 200
    config = get(stack, "/v1/auth/config").json()
    assert config == {
        "region": "us-east-1",
        "user_pool_id": pool[0],
        "client_id": pool[1],
        "cognito_url": f"{stack.api_url}/local/cognito",
    }


def test_a_viewer_reads_but_its_change_is_403_and_changes_nothing(stack, operator_token):
    viewer = stack.login("viewer").access_token
    before = get(stack, "/v1/settings/auto-sync-rules", viewer)
    assert before.status_code == 200

    for method, path, body in [
        ("PATCH", "/v1/settings/auto-sync-rules", {"manual": not before.json()["manual"]}),
        ("POST", "/v1/channels", {"name": "viewer-shop", "type": "shopify"}),
        ("POST", "/v1/jobs/missing/cancel", None),
        ("DELETE", "/v1/channels/nowhere", None),
    ]:
        answer = httpx.request(
            method, f"{stack.api_url}{path}", json=body, headers={"authorization": f"Bearer {viewer}"}
        )
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json() == {"message": "your role (viewer) reads only: ask an operator"}

    assert get(stack, "/v1/settings/auto-sync-rules", operator_token).json() == before.json()
    assert get(stack, "/v1/channels/viewer-shop", operator_token).status_code == 404


def test_the_operator_changes(stack, operator_token):
    rules = get(stack, "/v1/settings/auto-sync-rules", operator_token).json()
    changed = httpx.patch(
        f"{stack.api_url}/v1/settings/auto-sync-rules",
        json={"feed": not rules["feed"]},
        headers={"authorization": f"Bearer {operator_token}"},
    )
    assert changed.status_code == 200
    assert changed.json()["feed"] is not rules["feed"]


def test_a_user_in_no_group_is_403(stack, pool):
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    cognito.admin_create_user(UserPoolId=pool[0], Username="nobody", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool[0], Username="nobody", Password="Nobody-pass-1234", Permanent=True
    )
    tokens = initiate(stack, "USER_PASSWORD_AUTH", USERNAME="nobody", PASSWORD="Nobody-pass-1234").json()
    answer = get(stack, "/v1/channels", tokens["AuthenticationResult"]["AccessToken"])
    assert answer.status_code == 403
    assert "no group" in answer.json()["message"]


def credentials(stack, group):
    user = stack.users[group]
    return {"USERNAME": user.username, "PASSWORD": user.password}


def initiate(stack, flow, target=INITIATE_AUTH, **parameters):
    config = get(stack, "/v1/auth/config").json()
    body = {"AuthFlow": flow, "ClientId": config["client_id"], "AuthParameters": parameters}
    headers = {"content-type": AMZ_JSON, "x-amz-target": target}
    return httpx.post(config["cognito_url"], content=json.dumps(body), headers=headers, timeout=30)


def test_the_local_cognito_endpoint_signs_in_and_refreshes_as_cognito_does(stack):
    signed_in = initiate(stack, "USER_PASSWORD_AUTH", **credentials(stack, "operator"))
    assert signed_in.status_code == 200
    assert signed_in.headers["content-type"].startswith(AMZ_JSON)
    result = signed_in.json()["AuthenticationResult"]
    assert {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn"} <= set(result)
    assert claims_of(result["AccessToken"])["cognito:groups"] == ["operator"]

    refreshed = initiate(stack, "REFRESH_TOKEN_AUTH", REFRESH_TOKEN=result["RefreshToken"])
    assert refreshed.status_code == 200
    assert (
        get(stack, "/v1/channels", refreshed.json()["AuthenticationResult"]["AccessToken"]).status_code == 200
    )


def test_the_local_cognito_endpoint_refuses_as_cognito_does(stack):
    wrong = initiate(stack, "USER_PASSWORD_AUTH", USERNAME="operator", PASSWORD="not-the-password")
    assert wrong.status_code == 400
    assert wrong.json()["__type"] == "NotAuthorizedException"
    assert wrong.json()["message"]

    unknown = initiate(stack, "USER_PASSWORD_AUTH", USERNAME="nobody-at-all", PASSWORD="not-the-password")
    assert (unknown.status_code, unknown.json()["__type"]) == (400, "NotAuthorizedException")

    other = initiate(stack, "USER_PASSWORD_AUTH", target="AWSCognitoIdentityProviderService.SignUp")
    assert other.status_code == 400
    assert other.json()["__type"] == "UnknownOperationException"


def test_claims_reach_the_function_as_api_gateway_writes_them():
    from tidemark.local.jwt_auth import as_api_gateway_claims

    written = as_api_gateway_claims(
        {
            "cognito:groups": ["operator", "viewer"],
            "exp": 1700000000,
            "scope": "a b",
            "flag": True,
            "sub": "s",
        }
    )
    assert written == {
        "claims": {
            "cognito:groups": "[operator viewer]",
            "exp": "1700000000",
            "scope": "a b",
            "flag": "true",
            "sub": "s",
        },
        "scopes": ["a", "b"],
    }
