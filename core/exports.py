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

A list longer than settings.EXPORTS_INLINE_MAX_ROWS is not exported in its request (a
gunicorn sync worker is killed after its timeout): the export is handed to the starter
registered with `register_export_starter` (the jobs app's background job, a layer
above), which reads the same list again from an `ExportOrder` through the admin's
`get_export_source` and writes the same file with `write_export`.
"""

import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponseBadRequest,
    HttpResponseRedirect,
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


def _exporters(resource: Resource) -> list[Callable[[Any], Any]]:
    """Each column's function from a row to its value, as `Resource.export_field` picks it
    (the `dehydrate_<name>` method, else the field's own export), chosen once: per row,
    export_field looks the field's name up among all the fields, for every cell."""
    exporters = []
    for field in resource.get_export_fields():
        method = field.get_dehydrate_method(resource.get_field_name(field))
        dehydrate = method if callable(method) else getattr(resource, method, None)
        exporters.append(dehydrate if dehydrate is not None else field.export)
    return exporters


def export_rows(queryset: QuerySet, resource: Resource, *, chunk: int = CHUNK) -> Iterator[list]:
    """The header, then one list of cells per row, reading `chunk` rows at a time."""
    yield resource.get_export_headers()
    exporters = _exporters(resource)
    for row in queryset.iterator(chunk_size=chunk):
        yield [_cell(export(row)) for export in exporters]
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


def counted(rows: Iterable[list], report: Callable[[int], None], *, every: int = CHUNK):
    """The rows (the header first) passed through, `report(rows written)` every `every`
    rows and once at the end."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        return
    yield header
    done = 0
    for row in iterator:
        yield row
        done += 1
        if done % every == 0:
            report(done)
    report(done)


def write_export(rows: Iterable[list], stream: Any, *, format: str, title: str) -> None:
    """The export's file into a binary stream: the same bytes the response would send."""
    if format == "csv":
        for chunk in csv_chunks(rows):
            stream.write(chunk)
    else:
        write_xlsx(rows, stream, title=title)


def export_filename(name: str, format: str) -> str:
    return f"{name}-{timezone.now():%Y%m%d-%H%M%S}.{format}"


def export_response(
    queryset: QuerySet, resource: Resource, *, name: str, format: str, chunk: int = CHUNK
) -> StreamingHttpResponse | FileResponse:
    filename = export_filename(name, format)
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


@dataclass(frozen=True)
class ExportSource:
    """What an export reads and how it names its file."""

    queryset: QuerySet
    resource: Resource
    name: str


@dataclass(frozen=True)
class ExportOrder:
    """An export to run later, as plain values (a job keeps them as JSON): the admin of
    `app_label.model_name`, its list (`what="list"`, filtered, searched and ordered by
    `query`, the list's query string) or one object's statement (`what="statement"`,
    `object_id`), in `format`."""

    app_label: str
    model_name: str
    what: str
    format: str
    query: str = ""
    object_id: int | None = None


# Called with the request and the order; returns the address to send the operator to
# (the job's page). Registered by the jobs app at start-up; none: every export inline.
ExportStarter = Callable[[HttpRequest, ExportOrder], str]
_starters: list[ExportStarter] = []


def register_export_starter(starter: ExportStarter) -> None:
    if starter not in _starters:
        _starters.append(starter)


def more_rows_than(queryset: QuerySet, limit: int) -> bool:
    """Counts at most limit + 1 rows (a LIMIT inside the COUNT), whatever the list's size."""
    return queryset.order_by().values("pk")[: limit + 1].count() > limit


def export_or_start(
    request: HttpRequest, source: ExportSource, order: ExportOrder
) -> HttpResponseRedirect | StreamingHttpResponse | FileResponse:
    """The export in this response, or, for a long list when a starter is registered, a
    background export and a redirect to where it can be watched."""
    if _starters and more_rows_than(source.queryset, settings.EXPORTS_INLINE_MAX_ROWS):
        return HttpResponseRedirect(_starters[-1](request, order))
    return export_response(source.queryset, source.resource, name=source.name, format=order.format)


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

    def get_export_source(self, request: HttpRequest, order: ExportOrder) -> ExportSource:
        """The list as `request` (its user, its query string) sees it. Raises
        PermissionDenied, and IncorrectLookupParameters for filters that are not valid."""
        if order.what != "list":
            raise Http404(f"no export {order.what!r} here")
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The changelist applies the list's filters, search and ordering from the query string.
        changelist = self.get_changelist_instance(request)
        queryset = self.get_export_queryset(request, changelist.queryset)
        name = self.export_name or str(self.model._meta.verbose_name_plural)
        return ExportSource(queryset, self.export_resource(), name)

    def export_view(self, request: HttpRequest, format: str):
        if format not in FORMATS:
            raise Http404(f"no export format {format!r}")
        opts = self.model._meta
        order = ExportOrder(
            opts.app_label, opts.model_name, "list", format, query=request.GET.urlencode()
        )
        try:
            source = self.get_export_source(request, order)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("The list's filters are not valid.")
        return export_or_start(request, source, order)
