"""An S3-protocol server on loopback (moto's server mode) for the S3 storage backend."""

from __future__ import annotations

import os
import uuid
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"


class FakeS3:
    """One moto server per test run on 127.0.0.1 (random port); a fresh bucket per test."""

    def __init__(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> FakeS3:
        # boto3 must never look for a region or keys on an instance metadata address.
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self.server.stop()

    def new_bucket(self) -> dict[str, Any]:
        """Create an empty bucket; return the app settings that use it."""
        bucket = f"mc-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=bucket)
        return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": self.endpoint, "S3_BUCKET": bucket,
                "S3_ACCESS_KEY": ACCESS_KEY, "S3_SECRET_KEY": SECRET_KEY,
                "S3_REGION": "us-east-1"}

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
