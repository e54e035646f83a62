"""Compression and conditional GETs for the pages and the API alike.

MIDDLEWARE lists CompressionMiddleware above ConditionalGetMiddleware: responses pass through
the list bottom-up, so the ETag is the digest of the body as the view wrote it, and compression
comes last (it would change the body, and its random padding would change it every time).
"""

from django.middleware import http
from django.middleware.gzip import GZipMiddleware

COMPRESSED_ALREADY = (
    "application/zip",
    "application/vnd.openxmlformats-officedocument.",  # XLSX, DOCX: zip archives
    "image/png",
    "image/jpeg",
    "image/webp",
    "font/woff",
)


class ConditionalGetMiddleware(http.ConditionalGetMiddleware):
    """Django's: a GET's 2xx response without an ETag gets the digest of its body as one, and an
    `If-None-Match` naming it is answered 304 (a list's tag changes with any row on its page or
    with its count). Streamed responses, the CSV exports, have no body to digest and get none;
    nor does an error, which is no version of what was asked for. It notes which responses came
    with an ETag of the view's own."""

    def process_response(self, request, response):
        response.etag_of_the_view = response.has_header("ETag")
        return super().process_response(request, response)

    def needs_etag(self, response):
        return 200 <= response.status_code < 300 and super().needs_etag(response)


class CompressionMiddleware(GZipMiddleware):
    """Django's gzip, which pads each response with random bytes against BREACH (pages carry a
    CSRF token), for the browser and for API clients that send `Accept-Encoding: gzip`.

    Except an API response with an ETag the view set itself (a report's, `"<id>.<version>"`):
    compression must make a strong ETag weak (`W/"…"`), and `If-Match`, where a client sends
    that tag back to write, compares strongly, so no weak tag ever passes (a 412 on every write).
    Those responses are single records, small enough to go as they are. Nor are files that are
    compressed already (XLSX exports, DOCX attachments, images): gzip would spend the time and
    win nothing.
    """

    def process_response(self, request, response):
        if request.path.startswith("/api/") and getattr(response, "etag_of_the_view", False):
            return response
        if response.get("Content-Type", "").startswith(COMPRESSED_ALREADY):
            return response
        return super().process_response(request, response)
