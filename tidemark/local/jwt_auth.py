"""The HTTP API's JWT authorizer, as API Gateway runs it, and the Cognito endpoint the console signs in at.

A request to an authorized route carries `Authorization: Bearer <access token>`; the token must be
RS256-signed by a key of the issuer's JWKS (fetched from `<issuer>/.well-known/jwks.json`, which moto
serves for its pools), name the issuer, be for one of the audience's clients (`client_id`, or `aud`),
be unexpired and an access token. Its claims reach the function as API Gateway puts them: every value
a string, a list as "[a b]".

`POST /local/cognito` is the local `cognito_url`: a Cognito InitiateAuth (or RespondToAuthChallenge:
a temporary password's NEW_PASSWORD_REQUIRED) request (X-Amz-Target, application/x-amz-json-1.1)
answered by moto's cognito-idp in-process, as Cognito answers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
import requests  # moto answers it in-process; httpx it does not reach
from botocore.exceptions import ClientError, ParamValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.console_roles import ACCESS_TOKEN
from tidemark.local.deploy import JwtAuthorizer

COGNITO_PATH = "/local/cognito"
AMZ_JSON = "application/x-amz-json-1.1"
# The operations of Cognito's a client signs in with: X-Amz-Target -> boto3's method.
OPERATIONS = {
    "AWSCognitoIdentityProviderService.InitiateAuth": "initiate_auth",
    "AWSCognitoIdentityProviderService.RespondToAuthChallenge": "respond_to_auth_challenge",
}


class Unauthorized(Exception):
    """A 401, with what was wrong with the token (API Gateway itself says only "Unauthorized")."""


@dataclass(frozen=True)
class Verifier:
    authorizer: JwtAuthorizer
    keys: dict[str, Any]  # kid -> public key

    @classmethod
    def for_authorizer(cls, authorizer: JwtAuthorizer) -> Verifier:
        answer = requests.get(f"{authorizer.issuer}/.well-known/jwks.json", timeout=10)
        answer.raise_for_status()
        keys = {str(key.key_id): key.key for key in jwt.PyJWKSet.from_dict(answer.json()).keys}
        return cls(authorizer, keys)

    def claims(self, headers: dict[str, str]) -> dict[str, Any]:
        """The verified token's claims, or Unauthorized saying what is wrong."""
        token = _bearer(headers, self.authorizer.identity_source)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as error:
            raise Unauthorized(f"the token is not a JWT ({error}): sign in again") from error
        key = self.keys.get(str(header.get("kid")))
        if key is None:
            raise Unauthorized("the token was not signed by the user pool (unknown key id): sign in again")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.authorizer.issuer,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("the token has expired: refresh it or sign in again") from error
        except jwt.InvalidIssuerError as error:
            raise Unauthorized(
                f"the token was issued by another user pool, not {self.authorizer.issuer}"
            ) from error
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the token is not valid ({error}): sign in again") from error
        audience = claims.get("client_id", claims.get("aud"))
        if audience not in self.authorizer.audience:
            raise Unauthorized("the token is for another app client than the console's: sign in again")
        if claims["token_use"] != ACCESS_TOKEN:
            raise Unauthorized(f"send the access token, not the {claims['token_use']} token")
        return claims


def _bearer(headers: dict[str, str], identity_source: str) -> str:
    name = identity_source.removeprefix("$request.header.").lower() or "authorization"
    value = headers.get(name, "").strip()
    if not value:
        raise Unauthorized(f"no {name.title()} header: send 'Bearer <access token>' (tidemark login)")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(f"the {name.title()} header is not 'Bearer <access token>'")
    return token.strip()


def as_api_gateway_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """requestContext.authorizer.jwt as API Gateway writes it: the claims as strings, the scopes a list."""
    flat = {name: _as_string(value) for name, value in claims.items()}
    scope = claims.get("scope")
    return {"claims": flat, "scopes": scope.split() if isinstance(scope, str) else None}


def _as_string(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(_as_string(v) for v in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


def unauthorized(error: Unauthorized) -> Response:
    return JSONResponse(
        {"message": str(error)},
        status_code=401,
        headers={"www-authenticate": f'Bearer error="invalid_token" error_description="{error}"'},
    )


async def initiate_auth(request: Request, region: str) -> Response:
    """Cognito's InitiateAuth, answered by moto: the result, or `{"__type", "message"}` with 400."""
    target = request.headers.get("x-amz-target", "")
    operation = OPERATIONS.get(target)
    if operation is None:
        return _cognito_error(
            "UnknownOperationException", f"X-Amz-Target must be one of {sorted(OPERATIONS)}"
        )
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _cognito_error("SerializationException", "the body is not JSON")
    if not isinstance(body, dict):
        return _cognito_error("SerializationException", "the body is not a JSON object")
    import anyio.to_thread

    return await anyio.to_thread.run_sync(_call, operation, body, region)


def _call(operation: str, body: dict[str, Any], region: str) -> Response:
    cognito = boto3.client("cognito-idp", region_name=region)
    try:
        answer = getattr(cognito, operation)(**body)
    except ParamValidationError as error:
        return _cognito_error("InvalidParameterException", str(error))
    except ClientError as error:
        status = int(error.response["ResponseMetadata"].get("HTTPStatusCode", 400))
        code, message = error.response["Error"].get("Code", ""), error.response["Error"].get("Message", "")
        if (
            code == "UserNotFoundException"
        ):  # the template's client prevents user existence errors; moto does not
            code, message = "NotAuthorizedException", "Incorrect username or password."
        return _cognito_error(code, message, status)
    answer.pop("ResponseMetadata", None)
    return Response(json.dumps(answer), media_type=AMZ_JSON)


def _cognito_error(kind: str, message: str, status: int = 400) -> Response:
    return Response(json.dumps({"__type": kind, "message": message}), status_code=status, media_type=AMZ_JSON)
