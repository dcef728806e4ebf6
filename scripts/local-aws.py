"""Create, idempotently, the AWS resources the local fleet expects in moto."""

import base64
import json
import os
import secrets

import boto3

session = boto3.session.Session()
kw = {"endpoint_url": os.environ["AWS_ENDPOINT_URL"], "region_name": os.environ["AWS_REGION"]}

sm = session.client("secretsmanager", **kw)


def ensure_secret(env_name, default_id, value):
    """Create the secret (the id from env_name, else default_id) unless it exists; `value`
    is called only then. An existing secret is kept: keys made once stay valid."""
    secret_id = os.environ.get(env_name, default_id)
    try:
        sm.describe_secret(SecretId=secret_id)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=secret_id, SecretString=json.dumps(value()))


def new_keys():
    """A key set as shared::seal and the JWT signer read it: one random 32-byte key."""
    return {"keys": [{"kid": "local-1", "secret": base64.b64encode(secrets.token_bytes(32)).decode()}]}


ensure_secret("JWT_SECRET_ID", "kairos/jwt-signing-keys", new_keys)

# The queues the manifest describes (functions.json, generated from the operations), each
# with its FIFO dead-letter queue, named kairos-<name>.fifo as the local fleet finds them.
sqs = session.client("sqs", **kw)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(root, "functions.json")) as f:
    queues = json.load(f).get("queues", [])
for q in queues:
    dead = q["dead_letter"]
    dlq = sqs.create_queue(QueueName=f"kairos-{dead['name']}.fifo", Attributes={"FifoQueue": "true"})
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(
        QueueName=f"kairos-{q['name']}.fifo",
        Attributes={
            "FifoQueue": "true",
            "ContentBasedDeduplication": "false",
            "VisibilityTimeout": str(q["visibility_timeout_seconds"]),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(dead["max_receive_count"])}),
        },
    )

# The WhatsApp Cloud API account; the local fleet serves a stand-in of the API.
ensure_secret("WHATSAPP_SECRET_ID", "kairos/whatsapp",
              lambda: {"access_token": "local-token", "phone_number_id": "100000000000001"})

# Stripe: the local fleet serves a stateful stand-in of the API (tests/stripe-fake), whose
# only key is this one; it signs the webhooks it sends the fleet with this secret.
ensure_secret("STRIPE_SECRET_ID", "kairos/stripe",
              lambda: {"api_key": "sk_test_kairos_fake", "webhook_secrets": ["whsec_kairos_local"]})

# Google Calendar: the local fleet serves a stand-in of Google's OAuth and Calendar APIs
# (tests/google-fake), whose only OAuth client is this one.
ensure_secret("GOOGLE_CALENDAR_SECRET_ID", "kairos/google-calendar",
              lambda: {"client_id": "kairos-test.apps.googleusercontent.com", "client_secret": "kairos-test-client-secret"})

# The master keys sealing the stored calendar refresh tokens (shared::seal), newest first.
ensure_secret("CALENDAR_KEYS_SECRET_ID", "kairos/calendar-token-keys", new_keys)

ses = session.client("sesv2", **kw)
sender = os.environ.get("SES_FROM_ADDRESS", "bookings@kairos.local")
existing = [i["IdentityName"] for i in ses.list_email_identities().get("EmailIdentities", [])]
if sender not in existing:
    ses.create_email_identity(EmailIdentity=sender)

s3 = session.client("s3", **kw)
for bucket in ("kairos-photos-local", "kairos-exports-local"):
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]})
