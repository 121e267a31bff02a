"""The moto corpus, issue 16 (default-deny): the services where AWS puts customer data, seeded
with a planted value of every class the issue names and the AWS values that must survive.

corpus_helpers seeds the first ten services and calls this module for the rest; the checks
here are per recording (formats that must hold) and across recordings (one real value, one
fake, everywhere). Where moto lacks an operation or a field, the comment says so and what
stands in for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import corpus_helpers as ch
from corpus_helpers import Check, Recording

# What moto cannot give, and what stands in for it:
# - ECS DescribeTaskDefinition is not paginated: Batch DescribeJobDefinitions (below) carries the
#   container `environment` and `secrets` lists instead; ECS ListTaskDefinitions returns ARNs.
# - IAM user ids are 20 random lower-case characters in moto, not AIDA...: the AIDA id is the
#   RequesterId moto gives every network interface (corpus_helpers.ENI_REQUESTER).
# - Lambda accepts only layers that exist in moto, so no AWS-published layer ARN; CloudTrail
#   LookupEvents (EventName) is not implemented; ELB's CanonicalHostedZoneId is moto's
#   placeholder Z2P70J7EXAMPLE, and network load balancers get `app` in their ARN.
# - moto returns one page whatever the page size for ECS ListClusters, IAM ListUsers, KMS
#   ListAliases and S3 ListBuckets (the recordings still go through the paginator).

# ---------------------------------------------------------------- planted identifying values

# Organizations. moto names the management account `master@example.com` itself (a reserved
# domain: fake already, so kept); the member accounts carry the customer's emails.
ORG_OU = "globex-payments-ou"
ORG_ACCOUNTS = [
    ("globex-prod", "aws-prod@globex-corp.com"),
    ("ledger-sandbox", "aws-sandbox@initech-payments.com"),
]
# Cognito: a customer's end user, with the attributes apps keep there.
POOL_NAME = "globex-shoppers"
COGNITO_USER = "marta.kowalczyk"
COGNITO_EMAIL = "marta.kowalczyk@initech-mail.pl"
# SNS: an email and an sms subscription (the ordinary data refused).
TOPIC = "globex-alerts"
# RDS: one subnet group shared by instances and a cluster (the same name in two operations).
DB_SUBNET_GROUP = "ledger-db-subnets-eu1"
DB_INSTANCES = [("ledger-pg-prod", "postgres", "15.4", "ledger_admin"),
                ("crm-mysql-prod", "mysql", "8.0", "crm_admin")]  # fmt: skip
DB_CLUSTER = ("orders-aurora-prod", "aurora-postgresql", "15.4", "orders_admin")
DB_PASSWORD_RDS = "Rds-Master-Pw-5531-kiwi"  # MasterUserPassword: never returned, never seen
# Plain-string lists of names (EKS clusters, ECS cluster ARNs, Kinesis StreamNames).
EKS_CLUSTERS = ["payments-eks-prod", "data-lake-eks-eu"]
ECS_CLUSTERS = ["checkout-ecs-prod", "fraud-scoring-ecs"]
ECS_FAMILY = "invoice-worker-prod"
STREAMS = ["clickstream-eu-prod", "card-auth-events"]
# Batch stands in for ECS task definitions: ECS DescribeTaskDefinition is not paginated (pagetape
# records paginated calls only) and ListTaskDefinitions returns ARNs, but Batch
# DescribeJobDefinitions is paginated and returns the same container `environment` {name, value}
# and `secrets` {name, valueFrom} lists.
JOB_DEFINITION = "nightly-ledger-export"
BATCH_DB_PASSWORD = "batch-Db-pass-Vv22-orbit"
BATCH_SECRET_NAME = "prod/stripe-live-key"
# CloudFormation: secrets by position (ParameterKey says it; ParameterValue holds it), with
# characters XML must escape, so the XML-escaped form of a leak is searched for too.
STACK = "ledger-core-stack"
CFN_PASSWORD = "cfn-Pa55&ledger<7712>"
CFN_QUEUE = "ledger-cfn-events"
# Route 53: the customer's own domain; AWS's name servers must survive verbatim.
ZONE = "globex-payments.com"
ZONE_REFERENCE = "zone-ref-4471-quartz"
DELEGATED = "eu.globex-payments.com"
DKIM_TOKEN = "4fz2qk7hx3ulmw6bd5yn2ojr8tcevsia"  # the customer's SES DKIM selector
# ELBv2: the name must be faked once, in the name, the ARN and the DNSName alike. moto writes
# `loadbalancer/app/` into the ARN of a network load balancer too (AWS writes `net`).
LOAD_BALANCERS = [("checkout-alb-prod", "application", "internet-facing"),
                  ("ledger-nlb-internal", "network", "internal")]  # fmt: skip
# Glue: ConnectionProperties are key/value pairs; USERNAME and PASSWORD and the user= of a
# JDBC URL are secrets by position.
GLUE_CONNECTION = "crm-replica-jdbc"
GLUE_USER = "crm_etl_svc"
GLUE_PASSWORD = "glue-Pw-4412-nova"
JDBC_URL = f"jdbc:postgresql://{ch.INTERNAL_HOST}:5432/crm?user={GLUE_USER}&ssl=true"
# EventBridge: a target Input is the customer's JSON (a phone number, an email, free text
# holding a phone number); an event pattern naming a service principal.
RULE_SMS = "nightly-sms-digest"
RULE_AUDIT = "scheduler-audit-prod"
TARGET_INPUT = {"to": ch.PHONE, "cc": ch.EMAIL_2, "note": f"call {ch.PHONE_TEXT} if it fails"}
EVENT_PATTERN = {
    "source": ["aws.scheduler"],
    "detail": {"userIdentity": {"invokedBy": ["scheduler.amazonaws.com"]}},
}
# KMS: a customer alias next to AWS's own.
KMS_ALIAS = "alias/ledger-master-key"
# ECR: repositories under the account's registry host.
REPOSITORIES = ["payments/invoice-api", "fraud-model-serving"]
# IAM users and their access keys: the whole name must go, the surname included.
IAM_USER = "ana.moreira"
IAM_SURNAME = "moreira"
IAM_USER_2 = "joao.tavares-etl"

IDENTIFYING: dict[str, str] = {
    ORG_OU: "name (organizational unit)",
    **{name: "name (member account)" for name, _ in ORG_ACCOUNTS},
    **{email: "email (member account)" for _, email in ORG_ACCOUNTS},
    POOL_NAME: "name (user pool)",
    COGNITO_USER: "person's user name",
    COGNITO_EMAIL: "email (Cognito attribute)",
    TOPIC: "name (topic)",
    DB_SUBNET_GROUP: "name shared by two operations (RDS subnet group)",
    **{i[0]: "name (DB instance)" for i in DB_INSTANCES},
    **{i[3]: "database user name" for i in DB_INSTANCES},
    DB_CLUSTER[0]: "name (DB cluster)",
    DB_CLUSTER[3]: "database user name",
    **{n: "name in a plain-string list (EKS clusters)" for n in EKS_CLUSTERS},
    **{n: "name in a plain-string list (ECS clusterArns)" for n in ECS_CLUSTERS},
    ECS_FAMILY: "name (task definition family)",
    **{n: "name in a plain-string list (Kinesis StreamNames)" for n in STREAMS},
    JOB_DEFINITION: "name (job definition)",
    BATCH_DB_PASSWORD: "secret by position (container environment DB_PASSWORD)",
    BATCH_SECRET_NAME: "name (secret in a container `secrets` valueFrom)",
    STACK: "name (stack)",
    CFN_PASSWORD: "secret by position (ParameterKey DbPassword)",
    CFN_QUEUE: "name (queue made by a stack)",
    ZONE: "customer domain",
    ZONE_REFERENCE: "caller reference",
    DKIM_TOKEN: "DKIM selector of the customer's domain",
    **{lb[0]: "name (load balancer, also inside its DNSName)" for lb in LOAD_BALANCERS},
    GLUE_CONNECTION: "name (Glue connection)",
    GLUE_USER: "secret by position (USERNAME, and user= of a JDBC URL)",
    GLUE_PASSWORD: "secret by position (PASSWORD)",
    JDBC_URL: "JDBC URL with user=",
    RULE_SMS: "name (rule)",
    RULE_AUDIT: "name (rule)",
    KMS_ALIAS: "name (customer KMS alias)",
    KMS_ALIAS.removeprefix("alias/"): "name (customer KMS alias, without alias/)",
    **{r: "name (repository)" for r in REPOSITORIES},
    IAM_USER: "person's name (IAM user)",
    IAM_SURNAME: "surname inside a user name",
    IAM_USER_2: "person's name (IAM user)",
    "tavares": "surname inside a user name",
}

# Values the account returns that are AWS's own, documented or public.
AWS_NAME_SERVERS = ["ns-1234.awsdns-21.org", "ns-567.awsdns-07.co.uk"]  # planted NS records
MOTO_NAME_SERVERS = ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net",
                     "ns-2050.awsdns-66.org", "ns-2051.awsdns-67.co.uk"]  # fmt: skip
ELB_ZONE = "Z2P70J7EXAMPLE"  # moto's CanonicalHostedZoneId (AWS's us-east-1 ALB zone is
# Z35SXDOTRQ7X7K); public per region either way, and a documentation placeholder here.
AWS_KMS_ALIASES = ["alias/aws/s3", "alias/aws/ebs", "alias/aws/dynamodb", "alias/aws/rds"]
SSM_PUBLIC = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"


def seed(url: str, base: dict[str, Any]) -> dict[str, Any]:
    """Create the account's other fifteen services in moto; returns the ids recordings need."""
    ids: dict[str, Any] = {}
    ec2 = ch.client("ec2", url)
    subnets = [base["subnet"]]
    subnets.append(ec2.create_subnet(
        VpcId=base["vpc"], CidrBlock="10.217.61.0/24", AvailabilityZone="us-east-1b",
    )["Subnet"]["SubnetId"])  # fmt: skip

    org = ch.client("organizations", url)
    org.create_organization(FeatureSet="ALL")
    ids["root"] = org.list_roots()["Roots"][0]["Id"]
    org.create_organizational_unit(ParentId=ids["root"], Name=ORG_OU)
    org.create_organizational_unit(ParentId=ids["root"], Name="Sandbox")
    for name, email in ORG_ACCOUNTS:
        org.create_account(Email=email, AccountName=name)

    cog = ch.client("cognito-idp", url)
    ids["pool"] = cog.create_user_pool(PoolName=POOL_NAME)["UserPool"]["Id"]
    cog.create_user_pool(PoolName="staff-directory-eu")
    cog.admin_create_user(UserPoolId=ids["pool"], Username=COGNITO_USER, UserAttributes=[
        {"Name": "email", "Value": COGNITO_EMAIL}, {"Name": "phone_number", "Value": ch.PHONE},
        {"Name": "name", "Value": ch.PERSON}, {"Name": "email_verified", "Value": "true"},
    ])  # fmt: skip
    cog.admin_create_user(UserPoolId=ids["pool"], Username="ops-bot", UserAttributes=[
        {"Name": "email", "Value": ch.EMAIL_2},
    ])  # fmt: skip

    sns = ch.client("sns", url)
    topic = sns.create_topic(Name=TOPIC)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=ch.EMAIL_2)
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=ch.PHONE)

    rds = ch.client("rds", url)
    rds.create_db_subnet_group(
        DBSubnetGroupName=DB_SUBNET_GROUP, DBSubnetGroupDescription="ledger subnets",
        SubnetIds=subnets,
    )  # fmt: skip
    for ident, engine, version, user in DB_INSTANCES:
        rds.create_db_instance(
            DBInstanceIdentifier=ident, DBInstanceClass="db.t3.micro", Engine=engine,
            EngineVersion=version, MasterUsername=user, MasterUserPassword=DB_PASSWORD_RDS,
            AllocatedStorage=20, DBSubnetGroupName=DB_SUBNET_GROUP,
        )  # fmt: skip
    ident, engine, version, user = DB_CLUSTER
    rds.create_db_cluster(
        DBClusterIdentifier=ident, Engine=engine, EngineVersion=version, MasterUsername=user,
        MasterUserPassword=DB_PASSWORD_RDS, DBSubnetGroupName=DB_SUBNET_GROUP,
    )  # fmt: skip

    eks = ch.client("eks", url)
    for name in EKS_CLUSTERS:
        eks.create_cluster(
            name=name, roleArn=f"arn:aws:iam::{ch.ACCOUNT}:role/globex/{ch.ROLE_NAME}",
            resourcesVpcConfig={"subnetIds": subnets},
        )  # fmt: skip

    ecs = ch.client("ecs", url)
    for name in ECS_CLUSTERS:
        ecs.create_cluster(clusterName=name)
    for _ in range(2):  # two revisions of one family
        ecs.register_task_definition(family=ECS_FAMILY, containerDefinitions=[{
            "name": "worker", "memory": 512,
            "image": f"{ch.ACCOUNT}.dkr.ecr.{ch.REGION}.amazonaws.com/{REPOSITORIES[0]}:1.4",
            "environment": [{"name": "DB_PASSWORD", "value": BATCH_DB_PASSWORD}],
        }])  # fmt: skip

    batch = ch.client("batch", url)
    batch.register_job_definition(
        jobDefinitionName=JOB_DEFINITION, type="container",
        containerProperties={
            "image": "public.ecr.aws/docker/library/python:3.12-slim", "vcpus": 1, "memory": 512,
            "environment": [
                {"name": "DB_PASSWORD", "value": BATCH_DB_PASSWORD},
                {"name": "AWS_REGION_NAME", "value": ch.REGION},
                {"name": "REPORT_TO", "value": ch.EMAIL_3},
            ],
            "secrets": [{"name": "STRIPE_KEY", "valueFrom": (
                f"arn:aws:secretsmanager:{ch.REGION}:{ch.ACCOUNT}:secret:{BATCH_SECRET_NAME}")}],
        },
    )  # fmt: skip

    cfn = ch.client("cloudformation", url)
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {k: {"Type": "String"} for k in ("DbPassword", "Owner", "TrustedAccount")},
        "Resources": {"Events": {"Type": "AWS::SQS::Queue",
                                 "Properties": {"QueueName": CFN_QUEUE}}},
        "Outputs": {"EventsUrl": {"Value": {"Ref": "Events"}}},
    }  # fmt: skip
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template), Parameters=[
        {"ParameterKey": "DbPassword", "ParameterValue": CFN_PASSWORD},
        {"ParameterKey": "Owner", "ParameterValue": ch.EMAIL},
        {"ParameterKey": "TrustedAccount", "ParameterValue": ch.DOC_ACCOUNT},
    ])  # fmt: skip

    r53 = ch.client("route53", url)
    ids["zone"] = r53.create_hosted_zone(
        Name=ZONE, CallerReference=ZONE_REFERENCE,
        HostedZoneConfig={"Comment": "None", "PrivateZone": False},
    )["HostedZone"]["Id"].rpartition("/")[2]  # fmt: skip
    r53.change_resource_record_sets(HostedZoneId=ids["zone"], ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": DELEGATED, "Type": "NS", "TTL": 172800,
            "ResourceRecords": [{"Value": ns} for ns in AWS_NAME_SERVERS]}},
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": ch.CUSTOMER_HOST, "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": ch.PUBLIC_IP}]}},
        {"Action": "CREATE", "ResourceRecordSet": {  # SES DKIM: the target is AWS's host
            "Name": f"{DKIM_TOKEN}._domainkey.{ZONE}", "Type": "CNAME", "TTL": 1800,
            "ResourceRecords": [{"Value": f"{DKIM_TOKEN}.dkim.amazonses.com"}]}},
    ]})  # fmt: skip

    elb = ch.client("elbv2", url)
    for name, kind, scheme in LOAD_BALANCERS:
        elb.create_load_balancer(Name=name, Subnets=subnets, Type=kind, Scheme=scheme)

    glue = ch.client("glue", url)
    glue.create_connection(ConnectionInput={
        "Name": GLUE_CONNECTION, "ConnectionType": "JDBC", "Description": "CRM read replica",
        "ConnectionProperties": {"JDBC_CONNECTION_URL": JDBC_URL, "USERNAME": GLUE_USER,
                                 "PASSWORD": GLUE_PASSWORD},
    })  # fmt: skip

    events = ch.client("events", url)
    events.put_rule(Name=RULE_SMS, ScheduleExpression="rate(1 day)")
    events.put_rule(Name=RULE_AUDIT, EventPattern=json.dumps(EVENT_PATTERN))
    events.put_targets(Rule=RULE_SMS, Targets=[
        {"Id": "mailer", "Input": json.dumps(TARGET_INPUT),
         "Arn": f"arn:aws:lambda:{ch.REGION}:{ch.ACCOUNT}:function:{ch.FUNCTION_NAME}"},
        {"Id": "alerts", "Input": json.dumps({"text": f"digest for {ch.PERSON}"}),
         "Arn": f"arn:aws:sns:{ch.REGION}:{ch.ACCOUNT}:{TOPIC}"},
    ])  # fmt: skip

    kms = ch.client("kms", url)
    ids["key"] = kms.create_key(Description="ledger master key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=KMS_ALIAS, TargetKeyId=ids["key"])

    ecr = ch.client("ecr", url)
    for name in REPOSITORIES:
        ecr.create_repository(repositoryName=name)

    iam = ch.client("iam", url)
    for name in (IAM_USER, IAM_USER_2):
        iam.create_user(UserName=name, Path="/people/")
    for _ in range(2):
        iam.create_access_key(UserName=IAM_USER)

    kinesis = ch.client("kinesis", url)
    for name in STREAMS:
        kinesis.create_stream(StreamName=name, ShardCount=1)

    # Three interfaces: moto draws MAC addresses at random, and a MAC of digits only would not
    # show a fake that puts letters beyond f into it.
    enis = [ec2.create_network_interface(
        SubnetId=base["subnet"], PrivateIpAddress=f"10.217.60.{44 + n}", Description="ledger eni",
        TagSpecifications=[{"ResourceType": "network-interface",
                            "Tags": [{"Key": ch.TAG, "Value": "yes"}]}],
    )["NetworkInterface"]["NetworkInterfaceId"] for n in range(3)]  # fmt: skip
    ec2.attach_network_interface(NetworkInterfaceId=enis[0], InstanceId=base["instances"][5],
                                 DeviceIndex=1)  # fmt: skip
    ec2.create_vpc_endpoint(
        VpcId=base["vpc"], ServiceName=f"com.amazonaws.{ch.REGION}.s3", VpcEndpointType="Gateway"
    )
    return ids


def _vpc(ids: dict[str, Any]) -> dict[str, Any]:
    return {"Filters": [{"Name": "vpc-id", "Values": [ids["vpc"]]}]}


def recordings() -> list[Recording]:
    """Thirty recordings, fifteen of their services new to the corpus; `seeded` adds the
    parameters only known once moto has made the resources (pool, root, zone and VPC ids)."""
    tagged = {"Filters": [{"Name": f"tag:{ch.TAG}", "Values": ["yes"]}]}
    return [
        Recording("dynamodb-query", "dynamodb", "Query", {
            "TableName": ch.ORDERS_TABLE, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": ch.CUSTOMER_KEY}}}, 1,
            ["ship_to", "phone", "total"]),
        Recording("dynamodb-tables", "dynamodb", "ListTables", {}, 1, []),
        Recording("cognito-pools", "cognito-idp", "ListUserPools", {}, 1, []),
        Recording("cognito-users", "cognito-idp", "ListUsers", {}, 1,
                  ["phone_number", "email_verified", "FORCE_CHANGE_PASSWORD"],
                  seeded=lambda ids: {"UserPoolId": ids["pool"]}),
        Recording("org-accounts", "organizations", "ListAccounts", {}, 1,
                  ["master@example.com", "ACTIVE", "CREATED"]),
        Recording("org-ous", "organizations", "ListOrganizationalUnitsForParent", {}, 1,
                  [], seeded=lambda ids: {"ParentId": ids["root"]}),
        Recording("sns-subscriptions", "sns", "ListSubscriptions", {}, None, ["sms"]),
        Recording("rds-instances", "rds", "DescribeDBInstances", {}, 20,
                  ["default.postgres15", "default:mysql-8-0", "db.t3.micro", "rds-ca-default",
                   ".us-east-1.rds.amazonaws.com", "general-public-license"]),
        Recording("rds-clusters", "rds", "DescribeDBClusters", {}, 20,
                  [".cluster-", ".cluster-ro-", "aurora-postgresql",
                   ".us-east-1.rds.amazonaws.com"]),
        Recording("eks-clusters", "eks", "ListClusters", {}, 1, []),
        Recording("ecs-clusters", "ecs", "ListClusters", {}, 1, ["arn:aws:ecs:us-east-1:"]),
        Recording("ecs-task-definitions", "ecs", "ListTaskDefinitions", {}, 1,
                  [":task-definition/"]),
        Recording("batch-job-definitions", "batch", "DescribeJobDefinitions", {}, 1,
                  ["DB_PASSWORD", "STRIPE_KEY", "AWS_REGION_NAME", "REPORT_TO", "container"]),
        Recording("cfn-stacks", "cloudformation", "DescribeStacks", {}, None,
                  ["DbPassword", "TrustedAccount", ch.DOC_ACCOUNT, "CREATE_COMPLETE"]),
        Recording("route53-zones", "route53", "ListHostedZones", {}, 1, []),
        Recording("route53-records", "route53", "ListResourceRecordSets", {}, 2,
                  [*AWS_NAME_SERVERS, *MOTO_NAME_SERVERS, "hostmaster.example.com",
                   ".dkim.amazonses.com"],
                  seeded=lambda ids: {"HostedZoneId": ids["zone"]}),
        Recording("elbv2-load-balancers", "elbv2", "DescribeLoadBalancers", {}, 1,
                  [ELB_ZONE, ".us-east-1.elb.amazonaws.com", "loadbalancer/app/",
                   "internet-facing"]),
        Recording("glue-connections", "glue", "GetConnections", {}, 1,
                  ["JDBC_CONNECTION_URL", "USERNAME", "PASSWORD", "jdbc:postgresql://"]),
        Recording("events-targets", "events", "ListTargetsByRule", {"Rule": RULE_SMS}, 1,
                  [f"arn:aws:lambda:{ch.REGION}:", f"arn:aws:sns:{ch.REGION}:"]),
        Recording("events-rules", "events", "ListRules", {}, 1,
                  ["scheduler.amazonaws.com", "aws.scheduler", "rate(1 day)", "invokedBy"]),
        Recording("kms-aliases", "kms", "ListAliases", {}, 5, AWS_KMS_ALIASES),
        Recording("ecr-repositories", "ecr", "DescribeRepositories", {}, 1,
                  [f".dkr.ecr.{ch.REGION}.amazonaws.com/", "MUTABLE", "AES256"]),
        Recording("iam-users", "iam", "ListUsers", {"PathPrefix": "/people/"}, 1, []),
        Recording("iam-access-keys", "iam", "ListAccessKeys", {"UserName": IAM_USER}, 1,
                  ["Active"]),
        Recording("kinesis-streams", "kinesis", "ListStreams", {}, None, ["PROVISIONED"]),
        Recording("ec2-network-interfaces", "ec2", "DescribeNetworkInterfaces", tagged, 5,
                  ["eni-attach-", "in-use", "us-east-1a"]),
        Recording("ec2-default-security-group", "ec2", "DescribeSecurityGroups", {}, 5,
                  ["default VPC security group", "0.0.0.0/0"], seeded=_vpc),
        Recording("ec2-vpc-endpoints", "ec2", "DescribeVpcEndpoints", {}, 5,
                  [f"com.amazonaws.{ch.REGION}.s3", "Gateway", "2008-10-17"], seeded=_vpc),
        Recording("ssm-public-parameters", "ssm", "GetParametersByPath",
                  {"Path": "/aws/service/ami-amazon-linux-latest"}, 10, [SSM_PUBLIC]),
        # moto answers ListBuckets in one page whatever MaxBuckets says.
        Recording("s3-buckets", "s3", "ListBuckets", {}, None, []),
    ]  # fmt: skip


def planted_by_moto(url: str) -> dict[str, str]:
    """Identifying values moto made itself (ids, hashes, keys): as identifying as the planted
    ones in a real account, so the same checks apply to them."""
    out: dict[str, str] = {}
    org = ch.client("organizations", url)
    description = org.describe_organization()["Organization"]
    out[description["Id"]] = "organization id (o-)"
    for root in org.list_roots()["Roots"]:
        out[root["Id"]] = "root id (r-)"
        for ou in org.list_organizational_units_for_parent(ParentId=root["Id"])[
            "OrganizationalUnits"
        ]:
            out[ou["Id"]] = "organizational unit id (ou-)"
    for account in org.list_accounts()["Accounts"]:
        if account["Id"] != ch.ACCOUNT:  # the management account is the corpus's own
            out[account["Id"]] = "account id (member account)"
    cog = ch.client("cognito-idp", url)
    for pool in cog.list_user_pools(MaxResults=10)["UserPools"]:
        out[pool["Id"]] = "user pool id"
        out[pool["Id"].partition("_")[2]] = "user pool id, without its region"
        for user in cog.list_users(UserPoolId=pool["Id"])["Users"]:
            for attr in user["Attributes"]:
                if attr["Name"] == "sub":
                    out[attr["Value"]] = "UUID (Cognito sub)"
    for sub in ch.client("sns", url).list_subscriptions()["Subscriptions"]:
        out[sub["SubscriptionArn"].rpartition(":")[2]] = "UUID (subscription id)"
    rds = ch.client("rds", url)
    for db in rds.describe_db_instances()["DBInstances"]:
        out[db["DbiResourceId"]] = "resource id (RDS)"
        out[db["Endpoint"]["Address"].split(".")[1]] = "account hash in an RDS host name"
    for cluster in rds.describe_db_clusters()["DBClusters"]:
        out[cluster["DbClusterResourceId"]] = "resource id (RDS)"
        out[cluster["Endpoint"].split(".")[1].removeprefix("cluster-")] = (
            "account hash in an RDS host name"
        )
    for lb in ch.client("elbv2", url).describe_load_balancers()["LoadBalancers"]:
        out[lb["LoadBalancerArn"].rpartition("/")[2]] = "resource id (load balancer)"
    out[
        ch.client("route53", url).list_hosted_zones()["HostedZones"][0]["Id"].rpartition("/")[2]
    ] = "hosted zone id"
    for stack in ch.client("cloudformation", url).describe_stacks()["Stacks"]:
        out[stack["StackId"].rpartition("/")[2]] = "UUID (stack id)"
    kms = ch.client("kms", url)
    for alias in kms.list_aliases()["Aliases"]:
        if alias["AliasName"] == KMS_ALIAS:
            out[alias["TargetKeyId"]] = "UUID (customer KMS key id)"
    iam = ch.client("iam", url)
    owner = ch.client("s3", url).list_buckets()["Owner"]
    out[owner["ID"]] = "canonical user id"
    for user in iam.list_users(PathPrefix="/people/")["Users"]:
        out[user["UserId"]] = "IAM unique id (user; moto's are not AIDA-shaped)"
    for key in iam.list_access_keys(UserName=IAM_USER)["AccessKeyMetadata"]:
        out[key["AccessKeyId"]] = "access key id"
    for role in iam.list_roles(PathPrefix="/globex/")["Roles"]:
        out[role["RoleId"]] = "IAM unique id (AROA)"
    ec2 = ch.client("ec2", url)
    for eni in ec2.describe_network_interfaces(
        Filters=[{"Name": f"tag:{ch.TAG}", "Values": ["yes"]}]
    )["NetworkInterfaces"]:
        out[eni["NetworkInterfaceId"]] = "resource id"
        if "Attachment" in eni:
            out[eni["Attachment"]["AttachmentId"]] = "resource id (eni-attach-)"
        out[eni["MacAddress"]] = "MAC address"
    for endpoint in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        out[endpoint["VpcEndpointId"]] = "resource id"
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.217.0.0/16"]}])["Vpcs"]
    mine = [{"Name": "vpc-id", "Values": [v["VpcId"] for v in vpcs]}]
    for subnet in ec2.describe_subnets(Filters=mine)["Subnets"]:
        out[subnet["SubnetId"]] = "resource id"
    for group in ec2.describe_security_groups(Filters=mine)["SecurityGroups"]:
        out[group["GroupId"]] = "resource id"
    return out


# ---------------------------------------------------------------- reading the pages


def values(pages: list[dict[str, Any]], key: str) -> list[Any]:
    """Every leaf under member KEY, in order (JSON documents inside strings included)."""
    return [v for page in pages for k, v in ch.walk(page) if k == key]


def raw_pages(rec: Recording) -> list[dict[str, Any]]:
    """The pages the account returned to the same call without pagetape."""
    return list(json.loads(rec.raw)[1:])


def fake_of(rec: Recording, pages: list[dict[str, Any]], key: str, original: str) -> str | None:
    """What ORIGINAL became in the written file: the value at the same position under KEY."""
    before, after = values(raw_pages(rec), key), values(pages, key)
    if original not in before or len(before) != len(after):
        return None
    return str(after[before.index(original)])


def attribute(user: dict[str, Any], name: str) -> str | None:
    return next((a["Value"] for a in user.get("Attributes", []) if a["Name"] == name), None)


# ---------------------------------------------------------------- formats


def phone_ok(value: Any, original: str) -> bool:
    """A fake phone number: valid E.164, a possible number of the same country, not the real one."""
    if (
        not isinstance(value, str)
        or value == original
        or not re.fullmatch(r"\+[1-9]\d{6,14}", value)
    ):
        return False
    try:
        import phonenumbers
    except ImportError:  # the E.164 shape and country code alone
        return value[:3] == original[:3]
    fake, real = phonenumbers.parse(value), phonenumbers.parse(original)
    return fake.country_code == real.country_code and phonenumbers.is_possible_number(fake)


def luhn_ok(value: Any) -> bool:
    if not isinstance(value, str) or not value.isdigit():
        return False
    total = 0
    for n, digit in enumerate(int(c) for c in reversed(value)):
        digit = digit * 2 if n % 2 else digit
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ORG_ID, ROOT_ID, OU_ID = (
    r"o-[a-z0-9]{10,32}",
    r"r-[0-9a-z]{4,32}",
    r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}",
)
ACCOUNT_ID = r"\d{12}"


def _match(what: str, pattern: str, value: Any) -> Check:
    return (f"{what} {value!r} is {pattern}",
            isinstance(value, str) and re.fullmatch(pattern, value) is not None)  # fmt: skip


def format_checks(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    """The formats of this recording's own values: prefixes, alphabets, names that agree with
    the ARNs and host names that embed them."""
    check = FORMATS.get(rec.name)
    return check(rec, pages) if check else []


def _dynamodb(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    items = [i for page in pages for i in page.get("Items", [])]
    for item in items:
        for key, original in (("tel", ch.PHONE), ("phone", ch.PHONE)):
            if key in item:
                got = item[key].get("S")
                out.append((f"{key} {got!r} is a valid E.164 number of {original[:3]}",
                            phone_ok(got, original)))  # fmt: skip
        if "card" in item:
            got = item["card"].get("S")
            out.append((f"card {got!r} is a Luhn-valid 16-digit number",
                        luhn_ok(got) and len(got) == 16 and got != ch.CARD))  # fmt: skip
        if "doc" in item:
            got = item["doc"].get("S")
            out.append(
                (
                    f"document number {got!r} is faked as [A-Z]{{2}}-[A-Z]{{2}}\\d{{7}}",
                    got != ch.DOC_NUMBER and _match("", r"[A-Z]{2}-[A-Z]{2}\d{7}", got)[1],
                )
            )
        if "crm_url" in item:
            got = item["crm_url"].get("S", "")
            out.append((f"crm_url {got!r} is still an https URL", got.startswith("https://")))
    return out


def _cognito_users(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for user in (u for page in pages for u in page.get("Users", [])):
        phone = attribute(user, "phone_number")
        if phone is not None:
            out.append((f"phone_number {phone!r} is a valid E.164 number of +48",
                        phone_ok(phone, ch.PHONE)))  # fmt: skip
        out.append(_match("sub", UUID, attribute(user, "sub")))
    pool = rec.tape().metadata.params.get("UserPoolId")
    out.append(_match("UserPoolId parameter", r"us-east-1_[0-9A-Za-z]+", pool))
    return out


def _cognito_pools(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    return [_match("user pool Id", r"us-east-1_[0-9A-Za-z]+", v) for v in values(pages, "Id")]


def _org_accounts(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for account in (a for page in pages for a in page.get("Accounts", [])):
        ident = account.get("Id", "")
        out.append(_match("account Id", ACCOUNT_ID, ident))
        out.append(_match("account Arn", rf"arn:aws:organizations::{ACCOUNT_ID}:account/"
                          rf"{ORG_ID}/{re.escape(ident)}", account.get("Arn")))  # fmt: skip
    return out


def _org_ous(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    parent = str(rec.tape().metadata.params.get("ParentId", ""))
    out = [_match("ParentId parameter", ROOT_ID, parent)]
    for ou in (o for page in pages for o in page.get("OrganizationalUnits", [])):
        ident = ou.get("Id", "")
        out.append(_match("OU Id", OU_ID, ident))
        out.append((f"OU Id {ident!r} names its root {parent!r}",
                    ident.split("-")[1:2] == parent.split("-")[1:2]))  # fmt: skip
        out.append(_match("OU Arn", rf"arn:aws:organizations::{ACCOUNT_ID}:ou/{ORG_ID}/"
                          rf"{re.escape(ident)}", ou.get("Arn")))  # fmt: skip
    return out


def _sns(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for sub in (s for page in pages for s in page.get("Subscriptions", [])):
        if sub.get("Protocol") == "sms":
            out.append((f"sms Endpoint {sub.get('Endpoint')!r} is a valid E.164 number of +48",
                        phone_ok(sub.get("Endpoint"), ch.PHONE)))  # fmt: skip
        arn, topic = str(sub.get("SubscriptionArn")), str(sub.get("TopicArn"))
        out.append((f"SubscriptionArn {arn!r} is its TopicArn and a UUID",
                    re.fullmatch(re.escape(topic) + ":" + UUID, arn) is not None))  # fmt: skip
    return out


def _rds_instances(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for db in (d for page in pages for d in page.get("DBInstances", [])):
        ident = re.escape(db.get("DBInstanceIdentifier", ""))
        host = db.get("Endpoint", {}).get("Address")
        out.append(
            _match(
                "instance endpoint",
                rf"{ident}\.[a-z0-9]{{10,12}}\.us-east-1\.rds\.amazonaws\.com",
                host,
            )
        )
        out.append(_match("DBInstanceArn", rf"arn:aws:rds:us-east-1:{ACCOUNT_ID}:db:{ident}",
                          db.get("DBInstanceArn")))  # fmt: skip
        group = db.get("DBSubnetGroup", {})
        out.append(_match("DBSubnetGroupArn", rf"arn:aws:rds:us-east-1:{ACCOUNT_ID}:subgrp:"
                          rf"{re.escape(group.get('DBSubnetGroupName', ''))}",
                          group.get("DBSubnetGroupArn")))  # fmt: skip
        out.append(_match("DbiResourceId", r"db-[A-Z0-9]{26}", db.get("DbiResourceId")))
    return out


def _rds_clusters(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for cluster in (c for page in pages for c in page.get("DBClusters", [])):
        ident = re.escape(cluster.get("DBClusterIdentifier", ""))
        writer = str(cluster.get("Endpoint"))
        out.append(
            _match(
                "cluster endpoint",
                rf"{ident}\.cluster-[a-z0-9]{{12}}\.us-east-1\.rds\.amazonaws\.com",
                writer,
            )
        )
        label = writer.split(".")[1:2]
        reader = label[0].replace("cluster-", "cluster-ro-", 1) if label else "cluster-ro-?"
        out.append(_match("reader endpoint", rf"{ident}\.{re.escape(reader)}\.us-east-1\."
                          r"rds\.amazonaws\.com", cluster.get("ReaderEndpoint")))  # fmt: skip
        out.append(_match("DBClusterArn", rf"arn:aws:rds:us-east-1:{ACCOUNT_ID}:cluster:{ident}",
                          cluster.get("DBClusterArn")))  # fmt: skip
        out.append(_match("DbClusterResourceId", r"cluster-[A-Z0-9]{26}",
                          cluster.get("DbClusterResourceId")))  # fmt: skip
    return out


NAME = r"[A-Za-z0-9][A-Za-z0-9_-]*"


def _eks(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    return [_match("EKS cluster name", NAME, v) for v in values(pages, "clusters")]


def _ecs_clusters(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    pattern = rf"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:cluster/{NAME}"
    return [_match("clusterArn", pattern, v) for v in values(pages, "clusterArns")]


def _ecs_task_definitions(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    pattern = rf"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:task-definition/{NAME}:[12]"
    return [_match("taskDefinitionArn", pattern, v) for v in values(pages, "taskDefinitionArns")]


def _batch(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for job in (j for page in pages for j in page.get("jobDefinitions", [])):
        name = re.escape(job.get("jobDefinitionName", ""))
        out.append(_match("jobDefinitionArn", rf"arn:aws:batch:us-east-1:{ACCOUNT_ID}:"
                          rf"job-definition/{name}:1", job.get("jobDefinitionArn")))  # fmt: skip
        env = {e["name"]: e.get("value") for e in job["containerProperties"]["environment"]}
        out.append((f"AWS_REGION_NAME {env.get('AWS_REGION_NAME')!r} is {ch.REGION!r}",
                    env.get("AWS_REGION_NAME") == ch.REGION))  # fmt: skip
        for secret in job["containerProperties"].get("secrets", []):
            out.append(
                _match(
                    "secret valueFrom",
                    rf"arn:aws:secretsmanager:us-east-1:"
                    rf"{ACCOUNT_ID}:secret:[\w/+=.@-]+",
                    secret.get("valueFrom"),
                )
            )
    return out


def _cfn(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for stack in (s for page in pages for s in page.get("Stacks", [])):
        name = re.escape(stack.get("StackName", ""))
        out.append(_match("StackId", rf"arn:aws:cloudformation:us-east-1:{ACCOUNT_ID}:stack/"
                          rf"{name}/{UUID}", stack.get("StackId")))  # fmt: skip
        params = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
        out.append(
            (
                f"TrustedAccount {params.get('TrustedAccount')!r} is the documentation "
                f"placeholder {ch.DOC_ACCOUNT}",
                params.get("TrustedAccount") == ch.DOC_ACCOUNT,
            )
        )
        for output in stack.get("Outputs", []):
            out.append(_match("queue URL output", rf"https://sqs\.us-east-1\.amazonaws\.com/"
                              rf"{ACCOUNT_ID}/{NAME}", output.get("OutputValue")))  # fmt: skip
    return out


def _route53_zones(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for zone in (z for page in pages for z in page.get("HostedZones", [])):
        out.append(_match("hosted zone Id", r"/hostedzone/[A-Z0-9]{10,32}", zone.get("Id")))
        out.append(_match("zone Name", r"([a-z0-9-]+\.)+", zone.get("Name")))
        comment = zone.get("Config", {}).get("Comment")
        out.append((f"zone Comment {comment!r} is the literal 'None'", comment == "None"))
    return out


def _route53_records(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    records = [r for page in pages for r in page.get("ResourceRecordSets", [])]
    apex = next((r["Name"] for r in records if r.get("Type") == "SOA"), "?")
    out: list[Check] = []
    for record in records:
        name = str(record.get("Name"))
        out.append((f"record {name!r} is inside the zone {apex!r}",
                    name == apex or name.endswith("." + apex)))  # fmt: skip
        if record.get("Type") == "NS":
            got = [r["Value"] for r in record.get("ResourceRecords", [])]
            want = MOTO_NAME_SERVERS if name == apex else AWS_NAME_SERVERS
            out.append((f"NS record {name!r} keeps AWS's name servers {want}", got == want))
        if record.get("Type") == "CNAME":
            got = [r["Value"] for r in record.get("ResourceRecords", [])]
            token = name.split(".")[0]
            out.append((f"DKIM CNAME {name!r} -> {got!r} keeps AWS's host and agrees with its name",
                        got == [f"{token}.dkim.amazonses.com"]))  # fmt: skip
        if record.get("Type") == "A":
            got = [r["Value"] for r in record.get("ResourceRecords", [])]
            out.append(
                (f"A record {got!r} holds addresses", bool(got) and all(ch._ip_ok(v) for v in got))
            )
    return out


def _elbv2(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    # The app/net segment as the account wrote it: moto writes `app` for network load
    # balancers too (AWS writes `net`), so the raw ARN says which to expect.
    kinds = [str(a).split("/")[1] for a in values(raw_pages(rec), "LoadBalancerArn")]
    balancers = [b for page in pages for b in page.get("LoadBalancers", [])]
    for lb, kind in zip(balancers, kinds, strict=False):
        name = re.escape(str(lb.get("LoadBalancerName")))
        out.append(_match("LoadBalancerArn", rf"arn:aws:elasticloadbalancing:us-east-1:"
                          rf"{ACCOUNT_ID}:loadbalancer/{kind}/{name}/[0-9a-f]{{16}}",
                          lb.get("LoadBalancerArn")))  # fmt: skip
        out.append(_match("DNSName", rf"(internal-)?{name}-[0-9a-z]+\.us-east-1\.elb\.amazonaws\.com",
                          lb.get("DNSName")))  # fmt: skip
        out.append((f"CanonicalHostedZoneId {lb.get('CanonicalHostedZoneId')!r} kept",
                    lb.get("CanonicalHostedZoneId") == ELB_ZONE))  # fmt: skip
    return out


def _glue(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for conn in (c for page in pages for c in page.get("ConnectionList", [])):
        props = conn.get("ConnectionProperties", {})
        url = str(props.get("JDBC_CONNECTION_URL"))
        m = re.fullmatch(r"jdbc:postgresql://([a-z0-9.-]+):5432/(\w+)\?user=([^&]+)&ssl=true", url)
        out.append((f"JDBC URL {url!r} keeps scheme, port, database and parameter names",
                    m is not None))  # fmt: skip
        out.append((f"the user= of {url!r} is the USERNAME {props.get('USERNAME')!r}",
                    m is not None and m.group(3) == props.get("USERNAME")))  # fmt: skip
    return out


def _events_targets(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for target in (t for page in pages for t in page.get("Targets", [])):
        raw = target.get("Input", "")
        try:
            doc = json.loads(raw)
        except ValueError:
            out.append((f"target Input {raw!r} is JSON", False))
            continue
        if "to" in doc:
            out.append((f"Input 'to' {doc['to']!r} is a valid E.164 number of +48",
                        phone_ok(doc["to"], ch.PHONE)))  # fmt: skip
    return out


def _events_rules(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for rule in (r for page in pages for r in page.get("Rules", [])):
        if "EventPattern" in rule:
            try:
                pattern = json.loads(rule["EventPattern"])
            except ValueError:
                pattern = None
            out.append(("the event pattern is kept whole", pattern == EVENT_PATTERN))
    return out


def _kms(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for alias in (a for page in pages for a in page.get("Aliases", [])):
        name = str(alias.get("AliasName"))
        out.append(_match("AliasName", r"alias/[A-Za-z0-9/_-]+", name))
        out.append(_match("AliasArn", rf"arn:aws:kms:us-east-1:{ACCOUNT_ID}:{re.escape(name)}",
                          alias.get("AliasArn")))  # fmt: skip
        if "TargetKeyId" in alias:
            out.append(_match("TargetKeyId", UUID, alias["TargetKeyId"]))
    return out


def _ecr(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for repo in (r for page in pages for r in page.get("repositories", [])):
        registry, name = str(repo.get("registryId")), str(repo.get("repositoryName"))
        out.append(_match("registryId", ACCOUNT_ID, registry))
        out.append((f"repositoryUri {repo.get('repositoryUri')!r} is registry host and name",
                    repo.get("repositoryUri")
                    == f"{registry}.dkr.ecr.us-east-1.amazonaws.com/{name}"))  # fmt: skip
        out.append(
            _match(
                "repositoryArn",
                rf"arn:aws:ecr:us-east-1:{re.escape(registry)}:"
                rf"repository/{re.escape(name)}",
                repo.get("repositoryArn"),
            )
        )
    return out


def _iam_users(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    out: list[Check] = []
    for user in (u for page in pages for u in page.get("Users", [])):
        path, name = str(user.get("Path")), str(user.get("UserName"))
        out.append(_match("user Arn", rf"arn:aws:iam::{ACCOUNT_ID}:user{re.escape(path + name)}",
                          user.get("Arn")))  # fmt: skip
        # moto's user ids are 20 lower-case letters and digits; AWS's are AIDA + 17.
        out.append(_match("UserId", r"AIDA[A-Z0-9]{17}|[a-z0-9]{20}", user.get("UserId")))
    return out


def _kinesis(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    names = values(pages, "StreamNames")
    summaries = [s for page in pages for s in page.get("StreamSummaries", [])]
    out: list[Check] = [("StreamNames are the StreamSummaries' names",
                         names == [s.get("StreamName") for s in summaries])]  # fmt: skip
    for s in summaries:
        out.append(
            _match(
                "StreamARN",
                rf"arn:aws:kinesis:us-east-1:{ACCOUNT_ID}:stream/"
                rf"{re.escape(str(s.get('StreamName')))}",
                s.get("StreamARN"),
            )
        )
    return out


def _ssm_public(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    names = values(pages, "Name")
    broken = [n for n in names if not n.startswith("/aws/service/ami-amazon-linux-latest/")]
    return [(f"every public parameter keeps its /aws/service path ({len(broken)} of "
             f"{len(names)} do not, e.g. {broken[:2]})", bool(names) and not broken)]  # fmt: skip


def _s3_objects(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    found = [m.group(0) for key in values(pages, "Key")
             for m in re.finditer(r"\d{1,3}(\.\d{1,3}){3}", str(key))]  # fmt: skip
    return [(f"the address inside an S3 key stays a private address ({found})",
             len(found) == 1 and ch._ip_ok(found[0]) and ch._rfc1918(found[0])
             and found[0] != "10.42.7.19")]  # fmt: skip


def _lambda(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    hooks = values(pages, "SLACK_WEBHOOK")
    return [(f"SLACK_WEBHOOK {h!r} is still an https URL", str(h).startswith("https://"))
            for h in hooks] or [("SLACK_WEBHOOK recorded", False)]  # fmt: skip


FORMATS: dict[str, Callable[[Recording, list[dict[str, Any]]], list[Check]]] = {
    "s3-objects": _s3_objects,
    "lambda-functions": _lambda,
    "dynamodb-scan": _dynamodb,
    "dynamodb-query": _dynamodb,
    "cognito-users": _cognito_users,
    "cognito-pools": _cognito_pools,
    "org-accounts": _org_accounts,
    "org-ous": _org_ous,
    "sns-subscriptions": _sns,
    "rds-instances": _rds_instances,
    "rds-clusters": _rds_clusters,
    "eks-clusters": _eks,
    "ecs-clusters": _ecs_clusters,
    "ecs-task-definitions": _ecs_task_definitions,
    "batch-job-definitions": _batch,
    "cfn-stacks": _cfn,
    "route53-zones": _route53_zones,
    "route53-records": _route53_records,
    "elbv2-load-balancers": _elbv2,
    "glue-connections": _glue,
    "events-targets": _events_targets,
    "events-rules": _events_rules,
    "kms-aliases": _kms,
    "ecr-repositories": _ecr,
    "iam-users": _iam_users,
    "kinesis-streams": _kinesis,
    "ssm-public-parameters": _ssm_public,
}


# ---------------------------------------------------------------- public values by position


def public_checks(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    """Schema the code reads (attribute, parameter and variable names) and AWS's own values,
    checked where they sit rather than anywhere in the file."""
    raw = raw_pages(rec)

    def kept(what: str, *keys: str) -> Check:
        """Every value under KEYS is the account's own, in order."""
        return (what, all(values(pages, k) == values(raw, k) and values(raw, k) for k in keys))

    out: list[Check] = []
    if rec.name in ("dynamodb-scan", "dynamodb-query"):
        before = [sorted(i) for page in raw for i in page.get("Items", [])]
        after = [sorted(i) for page in pages for i in page.get("Items", [])]
        attrs = sorted({n for item in before for n in item})
        out.append((f"item attribute names kept ({attrs})", after == before))
    if rec.name == "cognito-users":

        def attributes(ps: list[dict[str, Any]]) -> list[list[str]]:
            return [sorted(a["Name"] for a in u.get("Attributes", []))
                    for p in ps for u in p.get("Users", [])]  # fmt: skip

        out.append(("user attribute names kept", attributes(pages) == attributes(raw)))
    if rec.name == "sns-subscriptions":
        out.append(kept("every Protocol kept", "Protocol"))
    if rec.name == "batch-job-definitions":
        out.append(kept("environment and secrets names kept", "name"))
    if rec.name == "cfn-stacks":
        out.append(kept("ParameterKeys kept", "ParameterKey"))
        out.append(kept("OutputKeys kept", "OutputKey"))
    if rec.name == "glue-connections":
        keys = [sorted(c.get("ConnectionProperties", {}))
                for p in pages for c in p.get("ConnectionList", [])]  # fmt: skip
        out.append(("ConnectionProperties keys kept",
                    keys == [["JDBC_CONNECTION_URL", "PASSWORD", "USERNAME"]]))  # fmt: skip
    if rec.name == "kms-aliases":
        mine = {v for v in values(pages, "AliasName") if v.startswith("alias/aws/")}
        theirs = {v for v in values(raw, "AliasName") if v.startswith("alias/aws/")}
        out.append(("every alias/aws/* kept", bool(theirs) and mine == theirs))
    if rec.name == "rds-instances":
        out.append(kept("default parameter and option groups kept",
                        "DBParameterGroupName", "OptionGroupName"))  # fmt: skip
    if rec.name == "ec2-default-security-group":
        # The VPC holds the default group and the corpus's own one (a customer name).
        named = [v == "default" for v in values(pages, "GroupName")]
        before = [v == "default" for v in values(raw, "GroupName")]
        out.append(("the default group keeps its name 'default'", any(before) and named == before))
        out.append(kept("IpProtocol kept ('-1': every protocol)", "IpProtocol"))
    if rec.name == "ssm-public-parameters":
        out.append(kept("/aws/service parameter names kept", "Name"))
    return out


# ---------------------------------------------------------------- one real value, one fake


def _fake(corpus: ch.Corpus, name: str, key: str, original: str) -> str | None:
    rec = corpus.recordings.get(name)
    if rec is None or rec.refusal is not None:
        return None
    return fake_of(rec, ch.pages_of(rec), key, original)


def _param(corpus: ch.Corpus, name: str, key: str) -> Any:
    rec = corpus.recordings.get(name)
    if rec is None or rec.refusal is not None:
        return None
    return rec.tape().metadata.params.get(key)


def _pages(corpus: ch.Corpus, name: str) -> list[dict[str, Any]]:
    rec = corpus.recordings.get(name)
    return ch.pages_of(rec) if rec is not None and rec.refusal is None else []


def _one(what: str, fakes: list[Any], original: str) -> Check:
    ok = bool(fakes) and None not in fakes and len(set(fakes)) == 1 and original not in fakes
    return (f"{what}: one fake everywhere ({fakes})", ok)


def _account(corpus: ch.Corpus) -> Check:
    seen = [_fake(corpus, "ecr-repositories", "registryId", ch.ACCOUNT),
            _fake(corpus, "sns-subscriptions", "Owner", ch.ACCOUNT),
            _fake(corpus, "ec2-instances", "OwnerId", ch.ACCOUNT),
            _fake(corpus, "org-accounts", "Id", ch.ACCOUNT)]  # fmt: skip
    return _one("the account id in ECR, SNS, EC2 and Organizations", seen, ch.ACCOUNT)


def _subnet_group(corpus: ch.Corpus) -> Check:
    seen = [_fake(corpus, "rds-instances", "DBSubnetGroupName", DB_SUBNET_GROUP),
            _fake(corpus, "rds-clusters", "DBSubnetGroup", DB_SUBNET_GROUP)]  # fmt: skip
    return _one("the RDS subnet group in DescribeDBInstances and DescribeDBClusters", seen,
                DB_SUBNET_GROUP)  # fmt: skip


def _iam_user(corpus: ch.Corpus) -> Check:
    seen = [_fake(corpus, "iam-users", "UserName", IAM_USER),
            _fake(corpus, "iam-access-keys", "UserName", IAM_USER),
            _param(corpus, "iam-access-keys", "UserName")]  # fmt: skip
    return _one("the IAM user in ListUsers, ListAccessKeys and its parameter", seen, IAM_USER)


def _arn_tail(arn: str | None, sep: str) -> str | None:
    return arn.rpartition(sep)[2] if arn else None


def _function(corpus: ch.Corpus) -> Check:
    arn = f"arn:aws:lambda:{ch.REGION}:{ch.ACCOUNT}:function:{ch.FUNCTION_NAME}"
    seen = [_fake(corpus, "lambda-functions", "FunctionName", ch.FUNCTION_NAME),
            _arn_tail(_fake(corpus, "events-targets", "Arn", arn), ":")]  # fmt: skip
    return _one("the Lambda function in ListFunctions and a target ARN", seen, ch.FUNCTION_NAME)


def _topic(corpus: ch.Corpus) -> Check:
    arn = f"arn:aws:sns:{ch.REGION}:{ch.ACCOUNT}:{TOPIC}"
    seen = [_arn_tail(_fake(corpus, "sns-subscriptions", "TopicArn", arn), ":"),
            _arn_tail(_fake(corpus, "events-targets", "Arn", arn), ":")]  # fmt: skip
    return _one("the SNS topic in ListSubscriptions and a target ARN", seen, TOPIC)


def _pool(corpus: ch.Corpus) -> Check:
    real = str(corpus.recordings["cognito-users"].params.get("UserPoolId"))  # the seeded id
    seen = [_fake(corpus, "cognito-pools", "Id", real),
            _param(corpus, "cognito-users", "UserPoolId")]  # fmt: skip
    return _one("the user pool id in ListUserPools and ListUsers' parameter", seen, real)


def _org(corpus: ch.Corpus) -> Check:
    orgs = {str(arn).split(":")[-1].split("/")[1:2][0] for name in ("org-accounts", "org-ous")
            for arn in values(_pages(corpus, name), "Arn")}  # fmt: skip
    real = {v for v, c in corpus.planted.items() if c.startswith("organization id")}
    ok = len(orgs) == 1 and not orgs & real
    return (
        f"the organization id in ListAccounts and the OU ARNs: one fake everywhere ({orgs})",
        ok,
    )


def _zone(corpus: ch.Corpus) -> Check:
    zone = ZONE + "."
    seen = [_fake(corpus, "route53-zones", "Name", zone),
            _fake(corpus, "route53-records", "Name", zone)]  # fmt: skip
    return _one("the hosted zone in ListHostedZones and ListResourceRecordSets", seen, zone)


def _table(corpus: ch.Corpus) -> Check:
    seen = [_fake(corpus, "dynamodb-tables", "TableNames", ch.TABLE),
            _param(corpus, "dynamodb-scan", "TableName")]  # fmt: skip
    return _one("the DynamoDB table in ListTables and Scan's parameter", seen, ch.TABLE)


def _bucket(corpus: ch.Corpus) -> Check:
    fake = _fake(corpus, "s3-buckets", "Name", ch.PAYROLL_BUCKET)
    roles = corpus.recordings.get("iam-roles")
    described = " ".join(str(d) for d in values(_pages(corpus, "iam-roles"), "Description"))
    ok = bool(fake) and fake != ch.PAYROLL_BUCKET and roles is not None and f"{fake}" in described
    return (
        f"the payroll bucket in ListBuckets ({fake!r}) is the one named in a role "
        f"description ({described!r})",
        ok,
    )


def _item_fake(corpus: ch.Corpus, name: str, attr: str, original: str) -> str | None:
    """What ORIGINAL under item attribute ATTR became: items are maps, so by item, not by
    position among all leaves (the writer may order an item's attributes otherwise)."""
    rec = corpus.recordings.get(name)
    if rec is None or rec.refusal is not None:
        return None
    before = [i for p in raw_pages(rec) for i in p.get("Items", [])]
    after = [i for p in ch.pages_of(rec) for i in p.get("Items", [])]
    for old, new in zip(before, after, strict=False):
        if old.get(attr, {}).get("S") == original:
            return str(new.get(attr, {}).get("S"))
    return None


def _phone(corpus: ch.Corpus) -> Check:
    seen = [_item_fake(corpus, "dynamodb-scan", "tel", ch.PHONE),
            _item_fake(corpus, "dynamodb-query", "phone", ch.PHONE),
            _fake(corpus, "cognito-users", "Value", ch.PHONE),
            _fake(corpus, "sns-subscriptions", "Endpoint", ch.PHONE),
            _fake(corpus, "events-targets", "to", ch.PHONE)]  # fmt: skip
    return _one("the phone number in Scan, Query, Cognito, SNS and EventBridge", seen, ch.PHONE)


def _email(corpus: ch.Corpus) -> Check:
    seen = [_fake(corpus, "sns-subscriptions", "Endpoint", ch.EMAIL_2),
            _fake(corpus, "events-targets", "cc", ch.EMAIL_2),
            _fake(corpus, "cognito-users", "Value", ch.EMAIL_2)]  # fmt: skip
    return _one("an email in SNS, an EventBridge Input and Cognito", seen, ch.EMAIL_2)


def _host(corpus: ch.Corpus) -> Check:
    env = _fake(corpus, "lambda-functions", "DB_HOST", ch.INTERNAL_HOST)
    url = _fake(corpus, "glue-connections", "JDBC_CONNECTION_URL", JDBC_URL)
    m = re.match(r"[^:/]+:[^:/]+://([^:/?]+)", url or "")  # the host, whatever the scheme became
    return _one(
        "an internal host in a Lambda env and a JDBC URL",
        [env, m.group(1) if m else None],
        ch.INTERNAL_HOST,
    )


CONSISTENCY: dict[str, Callable[[ch.Corpus], Check]] = {
    "account-id": _account,
    "rds-subnet-group": _subnet_group,
    "iam-user-name": _iam_user,
    "lambda-function-name": _function,
    "sns-topic-name": _topic,
    "cognito-pool-id": _pool,
    "organization-id": _org,
    "route53-zone-name": _zone,
    "dynamodb-table-name": _table,
    "bucket-in-free-text": _bucket,
    "phone-number": _phone,
    "email": _email,
    "internal-host": _host,
}


def consistency_checks(corpus: ch.Corpus) -> list[Check]:
    out: list[Check] = []
    for name, check in CONSISTENCY.items():
        try:
            out.append(check(corpus))
        except Exception as exc:  # a body botocore cannot parse breaks the check, not the run
            out.append((f"{name}: {type(exc).__name__}: {exc}", False))
    return out
