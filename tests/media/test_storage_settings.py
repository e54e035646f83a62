"""MEDIA_STORAGE_URL, as an operator writes it, becomes STORAGES["default"]; a mistake in it
stops the process at start rather than storing files somewhere unintended."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import hoa_portal.settings.base as base_settings
from hoa_portal.settings.base import media_storage


def test_without_it_the_files_stay_on_local_disk_under_media_root():
    assert media_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert set(base_settings.STORAGES) >= {"default", "staticfiles"}


def test_a_bucket_with_its_endpoint_and_region():
    storage = media_storage(
        "s3://HoA-media/portal/attachments/?endpoint_url=https://s3.example.org:9000"
        "&region=eu-central-1&addressing_style=path&signature_version=s3v4"
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "HoA-media",
        "location": "portal/attachments",
        "endpoint_url": "https://s3.example.org:9000",
        "region_name": "eu-central-1",
        "addressing_style": "path",
        "signature_version": "s3v4",
        "querystring_auth": False,
        "default_acl": None,
        "file_overwrite": False,
        "max_memory_size": 2 * 1024 * 1024,
    }


def test_a_bare_bucket_takes_boto3s_defaults():
    options = media_storage("s3://hoa-media")["OPTIONS"]
    assert options["bucket_name"] == "hoa-media" and options["location"] == ""
    assert "endpoint_url" not in options and "region_name" not in options


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("s3://AKIA:secret@hoa-media", "carries no credentials"),
        ("s3://:secret@hoa-media", "carries no credentials"),
        ("https://hoa-media.s3.amazonaws.com", "must read s3://"),
        ("s3://", "must read s3://"),
        ("s3:///prefix", "must read s3://"),
        ("s3://hoa-media:9000", "must read s3://"),
        ("s3://hoa-media#x", "must read s3://"),
        ("s3://hoa-media?regoin=eu-central-1", "unknown or repeated options ['regoin']"),
        ("s3://hoa-media?region=a&region=b", "unknown or repeated options ['region']"),
        ("s3://hoa-media?querystring_auth=true", "unknown or repeated options"),
        ("s3://hoa-media?region", "region"),
    ],
)
def test_a_mistake_is_refused_with_what_to_write(url, says):
    with pytest.raises(ImproperlyConfigured) as refused:
        media_storage(url)
    assert says in str(refused.value)


PROBE = """
import json, django
from django.conf import settings
from django.core.files.storage import default_storage
django.setup()
location = default_storage.location  # the storage is made on first use
print(json.dumps({
    "backend": type(default_storage._wrapped).__name__,
    "bucket": getattr(default_storage, "bucket_name", None),
    "location": location,
    "endpoint": getattr(default_storage, "endpoint_url", None),
    "static": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def _production(**environment: str) -> subprocess.CompletedProcess:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env={
            **kept,
            "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.production",
            "SECRET_KEY": "production-probe",
            "ALLOWED_HOSTS": "cbm.example.org",
            **environment,
        },
        cwd=Path(__file__).resolve().parent.parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_reads_the_bucket_from_the_environment():
    done = _production(
        MEDIA_STORAGE_URL="s3://hoa-media/portal?endpoint_url=https://s3.example.org&region=eu-1"
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded["backend"] == "S3Storage"
    assert (loaded["bucket"], loaded["location"]) == ("hoa-media", "portal")
    assert loaded["endpoint"] == "https://s3.example.org"
    assert loaded["static"] != loaded["backend"]  # the static files stay the app's own


def test_production_without_it_stores_on_local_disk_under_media_root(tmp_path):
    done = _production(MEDIA_ROOT=str(tmp_path))
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert (loaded["backend"], loaded["location"]) == ("FileSystemStorage", str(tmp_path))


def test_a_mistaken_url_stops_the_process_at_start():
    done = _production(MEDIA_STORAGE_URL="s3://key:secret@hoa-media")
    assert done.returncode != 0
    assert "carries no credentials" in done.stderr
    assert "key:secret" not in done.stderr  # the refusal does not repeat the secret
