from tests.media.conftest import s3_credentials, s3_endpoint  # noqa: F401  (fixtures, shared)
