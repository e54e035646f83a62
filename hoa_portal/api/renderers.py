"""CSV export: `?format=csv` on any list gives every matching row, streamed, not one page."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

EXPORT_CHUNK = 500


class CSVRenderer(BaseRenderer):
    """Renders what is not streamed (errors, a single record) as a small CSV table."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        return "".join(csv_lines(rows)).encode()


def _cell(value) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(_cell(v)) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def csv_lines(rows: Iterable[dict], header: list[str] | None = None) -> Iterator[str]:
    """One CSV line at a time; the header is the given one, else the first row's keys."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    if header is not None:
        writer.writerow(header)
        yield flush()
    for row in rows:
        if header is None:
            header = list(row)
            writer.writerow(header)
        writer.writerow([_cell(row.get(column)) for column in header])
        yield flush()


def csv_streaming_response(
    *, queryset, serialize, header: list[str], filename: str
) -> StreamingHttpResponse:
    """Serialize `queryset` in chunks so the whole export never sits in memory at once."""

    def rows() -> Iterator[dict]:
        total = queryset.count()
        for offset in range(0, total, EXPORT_CHUNK):
            yield from serialize(queryset[offset : offset + EXPORT_CHUNK])

    response = StreamingHttpResponse(csv_lines(rows(), header), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
