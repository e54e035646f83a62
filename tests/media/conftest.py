"""Object storage in the tests: moto's S3 server on loopback, started once for the session; each
test that asks for `bucket` gets a new bucket and the default storage pointed at it through the
setting an operator writes (MEDIA_STORAGE_URL, parsed by hoa_portal.settings.base)."""

import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from hoa_portal.settings.base import media_storage
from tests.reports.conftest import rw  # noqa: F401  (the reports' small world, as a fixture)

REGION = "us-east-1"


@dataclass
class Bucket:
    name: str
    url: str  # MEDIA_STORAGE_URL for it
    client: object
    local: Path  # MEDIA_ROOT meanwhile: nothing may land there

    def names(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))

    def contents(self) -> dict[str, bytes]:
        return {key: self.read(key) for key in self.names()}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body)

    def local_files(self) -> list[Path]:
        return [path for path in self.local.rglob("*") if path.is_file()]


@pytest.fixture(scope="session")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_credentials(monkeypatch):
    """As an operator gives them: in the environment, where boto3 looks."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "media-tests")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "media-tests-secret")
    for name in (
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_S3_SESSION_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)


def new_bucket(endpoint: str, local: Path) -> Bucket:
    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    client.create_bucket(Bucket=name)
    url = f"s3://{name}?endpoint_url={endpoint}&region={REGION}&addressing_style=path"
    return Bucket(name=name, url=url, client=client, local=local)


@pytest.fixture
def bucket(s3_endpoint, s3_credentials, settings, tmp_path) -> Bucket:
    created = new_bucket(s3_endpoint, tmp_path / "media")
    settings.MEDIA_ROOT = created.local
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(created.url)}
    return created
