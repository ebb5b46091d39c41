"""An admin list exported to CSV or XLSX in constant memory, whatever its length.

django-import-export describes the columns: one ModelResource per list, its fields and
`dehydrate_*` methods. Its own export cannot be used for the rows, because
`Resource.export` appends every row to one `tablib.Dataset` and the format then renders
that whole dataset: 10^6 rows would sit in memory as 10^6 lists, then again as the
rendered file. Here each row is read with `QuerySet.iterator(chunk_size=...)` (a
server-side cursor on PostgreSQL; prefetches run per chunk), turned into cells by the
resource, and written at once: CSV as a `StreamingHttpResponse` that yields each chunk
of lines, XLSX through openpyxl's write-only workbook, which streams its rows into a
temporary file that is then sent.

Text cells are neutralised against spreadsheet formulas in both formats
(core.csv_output); openpyxl would otherwise store a text starting with `=` as a formula.
"""

import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.urls import path
from django.utils import timezone
from import_export.resources import Resource
from openpyxl import Workbook

from core.csv_output import SafeWriter, neutralise

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000


def _cell(value: Any) -> Any:
    """A value as a spreadsheet cell: aware datetimes in UTC without the offset
    (openpyxl refuses an offset), numbers as they are, anything else as neutralised text."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date | int | Decimal) or value is None:
        return value
    return neutralise(value)


def export_rows(queryset: QuerySet, resource: Resource, *, chunk: int = CHUNK) -> Iterator[list]:
    """The header, then one list of cells per row, reading `chunk` rows at a time."""
    yield resource.get_export_headers()
    fields = resource.get_export_fields()  # once, not per row as export_resource would
    for row in queryset.iterator(chunk_size=chunk):
        yield [_cell(resource.export_field(field, row)) for field in fields]
        # A prefetched child points back at its parent (entry.transaction): a cycle that
        # only the full garbage collector would free, so rows would pile up until it ran.
        getattr(row, "_prefetched_objects_cache", {}).clear()


class _Lines(io.StringIO):
    """A buffer the CSV writer fills and the stream empties after each row."""

    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


def csv_chunks(rows: Iterable[list], *, lines_per_chunk: int = 500) -> Iterator[bytes]:
    buffer = _Lines()
    writer = SafeWriter(buffer)
    for number, row in enumerate(rows, start=1):
        writer.writerow(row)
        if number % lines_per_chunk == 0:
            yield buffer.take().encode()
    yield buffer.take().encode()


def write_xlsx(rows: Iterable[list], stream: Any, *, title: str) -> None:
    """openpyxl's write-only mode: each appended row goes to a temporary file at once."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(row)
    workbook.save(stream)


def export_response(
    queryset: QuerySet, resource: Resource, *, name: str, format: str, chunk: int = CHUNK
) -> StreamingHttpResponse | FileResponse:
    filename = f"{name}-{timezone.now():%Y%m%d-%H%M%S}.{format}"
    rows = export_rows(queryset, resource, chunk=chunk)
    if format == "csv":
        response = StreamingHttpResponse(csv_chunks(rows), content_type=FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # A workbook is a zip whose directory comes last: it is written whole, then sent.
    # FileResponse closes it once sent, and a TemporaryFile is gone when closed.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    write_xlsx(rows, spool, title=name)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=FORMATS["xlsx"])


if TYPE_CHECKING:  # a ModelAdmin mixin: typed as one, without being one at run time
    from unfold.admin import ModelAdmin as _AdminBase  # the admins' base class
else:
    _AdminBase = object


class ExportsMixin(_AdminBase):
    """ModelAdmin mixin: "Export CSV" and "Export XLSX" on the list, exporting the list
    as it is filtered, searched and ordered. Needs view permission only: an export reads."""

    export_resource: ClassVar[type[Resource]]
    export_name: ClassVar[str] = ""
    change_list_template = "admin/exports/change_list.html"

    def get_urls(self) -> list:
        opts = self.model._meta
        view = self.admin_site.admin_view(self.export_view)
        return [
            path(
                "export/<str:format>/",
                view,
                name=f"{opts.app_label}_{opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    def get_export_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """The list's rows, with what the resource reads joined or prefetched."""
        return queryset

    def export_view(self, request: HttpRequest, format: str):
        if format not in FORMATS:
            raise Http404(f"no export format {format!r}")
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The changelist applies the list's filters, search and ordering from the query string.
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("The list's filters are not valid.")
        queryset = self.get_export_queryset(request, changelist.queryset)
        name = self.export_name or str(self.model._meta.verbose_name_plural)
        return export_response(queryset, self.export_resource(), name=name, format=format)
