"""The console's sign-in and hosting in template.yaml: the user pool, its client and groups, the JWT
authorizer in front of the console routes (the webhooks and the two open routes outside it), the
private bucket behind CloudFront; and the same pool, client and groups deployed locally."""

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from shared.console_roles import OPEN_ROUTES
from tidemark.local.deploy import deploy
from tidemark.local.template import load

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]


def of_type(kind: str) -> dict:
    return {name: spec["Properties"] for name, spec in RESOURCES.items() if spec["Type"] == kind}


def test_the_user_pool_takes_admin_created_users_with_strong_passwords():
    ((_, pool),) = of_type("AWS::Cognito::UserPool").items()
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[f"Require{kind}"] for kind in ("Lowercase", "Uppercase", "Numbers", "Symbols"))


def test_the_app_client_is_public_and_signs_in_with_the_password_or_srp_and_refreshes():
    ((_, client),) = of_type("AWS::Cognito::UserPoolClient").items()
    assert client["UserPoolId"] == {"Ref": "UserPool"}
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
    }


def test_the_groups_are_operator_and_viewer_of_the_pool():
    groups = of_type("AWS::Cognito::UserPoolGroup").values()
    assert {g["GroupName"] for g in groups} == {"operator", "viewer"}
    assert all(g["UserPoolId"] == {"Ref": "UserPool"} for g in groups)


def test_the_console_routes_take_the_pools_jwt_and_only_webhooks_and_the_open_routes_do_not():
    auth = RESOURCES["ConsoleApi"]["Properties"]["Auth"]
    assert "EnableIamAuthorizer" not in auth
    jwt = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert jwt["IdentitySource"] == "$request.header.Authorization"
    assert jwt["JwtConfiguration"]["issuer"] == {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
    }
    assert jwt["JwtConfiguration"]["audience"] == [{"Ref": "UserPoolClient"}]

    open_routes, authorized = set(), set()
    for name, spec in of_type("AWS::Serverless::Function").items():
        for event in spec.get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            route = (name, event["Properties"]["Method"], event["Properties"]["Path"])
            if event["Properties"].get("Auth", {}).get("Authorizer") == "NONE":
                open_routes.add(route)
            else:
                authorized.add(route)
    assert authorized == {("ApiFunction", "ANY", "/v1/{proxy+}")}
    assert {(f, m, p) for f, m, p in open_routes if f == "ApiFunction"} == {
        ("ApiFunction", method, path) for method, path in OPEN_ROUTES
    }
    assert {p for f, _, p in open_routes if f == "WebhooksFunction"} == {
        "/v1/webhooks/shopify/{channel}",
        "/v1/webhooks/woocommerce/{channel}",
        "/v1/webhooks/ebay/{channel}",  # eBay's signed posts and its challenge GET
        "/v1/webhooks/ebay/{channel}/platform",  # eBay's Platform Notifications (SOAP)
    }
    environment = RESOURCES["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert environment == {
        "USER_POOL_ID": {"Ref": "UserPool"},
        "USER_POOL_CLIENT_ID": {"Ref": "UserPoolClient"},
        "ALARM_PREFIX": {"Fn::Sub": "${AWS::StackName}-"},  # the Overview reads the stack's alarms
    }


def test_the_page_is_a_private_bucket_read_by_the_distribution_only():
    bucket = RESOURCES["ConsoleBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"

    policy = RESOURCES["ConsoleBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ConsoleBucket"}
    (allow,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "${ConsoleDistribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]

    oac = RESOURCES["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")


def test_the_distribution_serves_the_page_over_https_with_its_fallback_and_the_api_under_v1():
    config = RESOURCES["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    origins = {o["Id"]: o for o in config["Origins"]}
    page = config["DefaultCacheBehavior"]
    assert origins[page["TargetOriginId"]]["DomainName"] == {
        "Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]
    }
    assert origins[page["TargetOriginId"]]["OriginAccessControlId"] == {
        "Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]
    }
    (fallback,) = page["FunctionAssociations"]
    assert fallback == {
        "EventType": "viewer-request",
        "FunctionARN": {"Fn::GetAtt": ["ConsoleSpaFallback", "FunctionARN"]},
    }
    assert "/index.html" in RESOURCES["ConsoleSpaFallback"]["Properties"]["FunctionCode"]
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/v1/*"
    assert "${ConsoleApi}" in origins[api["TargetOriginId"]]["DomainName"]["Fn::Sub"]
    assert origins[api["TargetOriginId"]]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behaviours = [page, api]
    assert {b["ViewerProtocolPolicy"] for b in behaviours} <= {"redirect-to-https", "https-only"}
    headers = RESOURCES["ConsoleApiCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert headers["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"] == [
        "Authorization"
    ]
    assert headers["DefaultTTL"] == 0


def test_the_outputs_name_the_console_url_the_pool_and_the_client():
    outputs = TEMPLATE["Outputs"]
    assert outputs["ConsoleUrl"]["Value"] == {"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}
    assert outputs["UserPoolId"]["Value"] == {"Ref": "UserPool"}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": "UserPoolClient"}


def test_the_pool_client_groups_and_authorizer_are_deployed_locally_from_the_template():
    with mock_aws():
        deployment = deploy(ROOT / "template.yaml")
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id, client_id = deployment.outputs["UserPoolId"], deployment.outputs["UserPoolClientId"]
        pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
        assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
        client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
        assert "ClientSecret" not in client
        assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
        groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
        assert groups == {"operator", "viewer"}
        (authorizer,) = deployment.authorizers.values()
        assert authorizer.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
        assert authorizer.audience == [client_id]
        by_route = {(r.method, r.path): r.authorizer for r in deployment.routes}
        assert by_route[("ANY", "/v1/{proxy+}")] == authorizer.name
        assert all(by_route[route] == "NONE" for route in OPEN_ROUTES)
        policy = boto3.client("s3", region_name="us-east-1").get_bucket_policy(
            Bucket=deployment.outputs["ConsoleBucketName"]
        )
        assert "cloudfront.amazonaws.com" in policy["Policy"]
