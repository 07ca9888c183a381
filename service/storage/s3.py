"""The S3-compatible store (MinIO, Aliyun OSS, Tencent COS, AWS) through boto3.

Credentials and the endpoint come from settings only: boto3 is never left to look for them
(environment, ~/.aws, the instance metadata service), so a misconfigured host fails at once
instead of reaching out to a metadata address.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


class S3Store:
    """Keys live in one bucket under ``prefix``; a PUT replaces an object whole (atomic)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    @classmethod
    def from_config(cls, config: Mapping[str, Any], prefix: str = "") -> S3Store:
        """Build a store from S3_* settings; refuse to start without bucket and keys."""
        missing = [k for k in ("S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY") if not config.get(k)]
        if missing:
            raise RuntimeError(f"STORAGE_BACKEND=s3 需要设置 {'、'.join(missing)}")
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or "us-east-1",
            aws_access_key_id=config["S3_ACCESS_KEY"],
            aws_secret_access_key=config["S3_SECRET_KEY"],
            config=Config(
                # Path style: MinIO and moto serve buckets under the endpoint, not as subdomains.
                s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5, read_timeout=30,
            ),
        )
        return cls(client, config["S3_BUCKET"], prefix)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return response["Body"].read()  # type: ignore[no-any-return]

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def older_than(self, prefix: str, cutoff: datetime) -> list[str]:
        limit = cutoff.replace(tzinfo=UTC)
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                if obj["LastModified"] < limit:
                    found.append(obj["Key"][len(self.prefix):])
        return sorted(found)

    def keys(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix)
        return sorted(obj["Key"][len(self.prefix):] for page in pages
                      for obj in page.get("Contents", []))


def _missing(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")
