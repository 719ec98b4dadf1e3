"""STORAGE_URL: where stored files live, read once at start (server.settings).

    (empty)                  the local disk, under MEDIA_ROOT (the default)
    s3://bucket[/prefix]?endpoint=http://127.0.0.1:9000&region=us-east-1
    s3://ACCESS_KEY:SECRET@bucket?endpoint=...   (credentials in the URL, percent-encoded)

Without credentials in the URL, botocore's usual chain is used (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, ~/.aws, an instance role). Options (query string):
- `endpoint`: the S3 API's address (MinIO, SeaweedFS, OSS, COS); empty for AWS itself;
- `region`: default `us-east-1`;
- `addressing`: `path` (default: bucket in the path, what MinIO and SeaweedFS expect) or `virtual`;
- `serve`: `redirect` (default: a download answers 302 to a presigned URL on the bucket, after
  the access check) or `stream` (the app streams it: for a bucket browsers cannot reach);
- `expires`: seconds a presigned URL stays valid, default 300;
- `public_endpoint`: the address browsers reach the bucket at, when it differs from `endpoint`
  (presigned URLs are signed for that host).
Kept free of our other modules and of the S3 client, so settings can check it at start.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

OPTIONS = {"endpoint", "region", "addressing", "serve", "expires", "public_endpoint"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = ""
    """Keys are stored as prefix + key ("" or ending in "/")."""
    endpoint: str | None = None
    public_endpoint: str | None = None
    region: str = "us-east-1"
    addressing: str = "path"
    serve: str = "redirect"
    expires: int = 300
    access_key: str | None = None
    secret_key: str | None = None

    def __repr__(self) -> str:  # never print the secret in a log or an error
        return (f"S3Location(bucket={self.bucket!r}, prefix={self.prefix!r}, endpoint={self.endpoint!r}, "
                f"serve={self.serve!r})")


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"STORAGE_URL: {name} must be an http:// or https:// address, got {value!r}")
    return value.rstrip("/")


def parse_storage_url(url: str) -> S3Location:
    """The bucket an s3:// STORAGE_URL names; ValueError (naming STORAGE_URL) when malformed."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ValueError(f"STORAGE_URL must be empty (local disk) or s3://bucket?endpoint=..., got {parts.scheme}://...")
    bucket = parts.hostname
    if not (3 <= len(bucket) <= 63) or not all(c.isalnum() or c in ".-" for c in bucket):
        raise ValueError(f"STORAGE_URL: {bucket!r} is not a valid bucket name")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - OPTIONS
    if unknown:
        raise ValueError(f"STORAGE_URL: unknown option(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(OPTIONS))})")
    addressing = query.get("addressing", "path")
    if addressing not in ("path", "virtual"):
        raise ValueError(f"STORAGE_URL: addressing must be path or virtual, got {addressing!r}")
    serve = query.get("serve", "redirect")
    if serve not in ("redirect", "stream"):
        raise ValueError(f"STORAGE_URL: serve must be redirect or stream, got {serve!r}")
    expires_raw = query.get("expires", "300")
    if not expires_raw.isdigit() or not 120 <= int(expires_raw) <= 7 * 24 * 3600:
        raise ValueError(f"STORAGE_URL: expires must be seconds between 120 and 604800, got {expires_raw!r}")
    if (parts.username is None) != (parts.password is None):
        raise ValueError("STORAGE_URL: give both the access key and the secret (s3://KEY:SECRET@bucket) or neither")
    prefix = parts.path.strip("/")
    return S3Location(
        bucket=bucket, prefix=prefix + "/" if prefix else "",
        endpoint=_http_url("endpoint", query["endpoint"]) if query.get("endpoint") else None,
        public_endpoint=_http_url("public_endpoint", query["public_endpoint"]) if query.get("public_endpoint")
        else None,
        region=query.get("region") or "us-east-1", addressing=addressing, serve=serve, expires=int(expires_raw),
        access_key=unquote(parts.username) if parts.username is not None else None,
        secret_key=unquote(parts.password) if parts.password is not None else None,
    )
