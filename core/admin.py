"""Admin helpers every app's back office uses: the confirmation step that every
value-moving admin action goes through (from a list's selection or from one object's
page), and the reason it asks for."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from unfold.widgets import UnfoldAdminTextareaWidget

from core.errors import DomainError


class Queued(str):
    """What a perform returns when the change was not made but waits for someone (a second
    staff member's approval): logged and reported as waiting, not counted as done."""


def confirmed_action(
    modeladmin: admin.ModelAdmin,
    request,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    notice: str,
    perform: Callable[[Any, dict], str],
    describe: Callable[[Any], str] = str,
):
    """Show a form (with its required reason) for the selected rows, saying what the
    action does (`notice`) and what each row is (`describe`: text, or HTML marked safe);
    on confirmation call perform(row, cleaned_data) for each, log it in the admin
    history, and report."""
    form = form_class(request.POST if "confirm" in request.POST else None)
    if "confirm" in request.POST and form.is_valid():
        done = 0
        for row in queryset:
            try:
                note = perform(row, form.cleaned_data)
            except DomainError as refused:
                modeladmin.message_user(
                    request, f"{row}: refused ({refused.code}): {refused.message}", messages.ERROR
                )
                continue
            modeladmin.log_change(request, row, note)
            if isinstance(note, Queued):
                modeladmin.message_user(request, f"{row}: {note}", messages.WARNING)
                continue
            done += 1
        if done:
            modeladmin.message_user(
                request, f"{title}: done for {done} of {queryset.count()}.", messages.SUCCESS
            )
        return None
    return TemplateResponse(
        request,
        "admin/confirm_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "notice": notice,
            "form": form,
            "rows": [(row.pk, describe(row)) for row in queryset],
            "action": request.POST.get("action"),
            "checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
        help_text="Recorded on the transaction and in the admin history.",
    )


CELL = "px-3 py-1.5 border-b border-base-200 text-left whitespace-nowrap"


def html_table(
    table_id: str, columns: Sequence[str], rows: Iterable[tuple[str, Sequence[Any]]]
) -> SafeString:
    """A read-only panel's table in the admin's style. Each row is (key, cells): the key
    goes in the row's `data-key`, each cell gets the class `col-<its column>`; cells are
    escaped unless marked safe (format_html)."""
    names = [column.replace(" ", "_") for column in columns]
    rows = list(rows)
    if not rows:
        return format_html('<p id="{}">none</p>', table_id)
    body = format_html_join(
        "",
        '<tr data-key="{}">{}</tr>',
        (
            (
                key,
                format_html_join(
                    "",
                    '<td class="{} col-{}">{}</td>',
                    ((CELL, name, cell) for name, cell in zip(names, cells, strict=True)),
                ),
            )
            for key, cells in rows
        ),
    )
    head = format_html_join(
        "", '<th class="{} font-semibold">{}</th>', ((CELL, column) for column in columns)
    )
    return format_html(
        '<table id="{}" class="w-full"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        table_id,
        head,
        body,
    )


def link(url: str, text: Any) -> SafeString:
    return format_html('<a class="text-primary-600" href="{}">{}</a>', url, text)


def shown_value(field: forms.BoundField) -> Any:
    """A valid form's value as the operator picked it (a choice's label, not its key)."""
    value = field.form.cleaned_data.get(field.name)
    if isinstance(value, Model) and isinstance(field.field, forms.ModelChoiceField):
        return field.field.label_from_instance(value)
    return field.value()


def object_page(obj: Model) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def get_object_or_404(modeladmin: admin.ModelAdmin, request: HttpRequest, object_id: str):
    obj = modeladmin.get_object(request, object_id)
    if obj is None:
        raise Http404(f"No {modeladmin.model._meta.verbose_name} {object_id}.")
    return obj


def confirmed_object_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    obj: Any,
    *,
    form_class: Callable[..., forms.Form],
    title: str,
    notice: str,
    preview: Callable[[Any, dict], str],
    perform: Callable[[Any, dict], str],
) -> HttpResponse:
    """The same confirmed action, from one object's own page, in two steps: the form
    (with its required reason); once it is valid, what will change (`preview`: text, or
    HTML marked safe, e.g. a balance before -> after) with the values fixed as typed, and
    only then a Confirm button. On confirmation call perform(obj, cleaned_data), log it in
    the admin history, and go back to the object's page with the outcome."""
    posted = request.POST if request.method == "POST" else None
    form = form_class(posted)
    confirming = posted is not None and form.is_valid()
    if confirming and "confirm" in request.POST:
        try:
            note = perform(obj, form.cleaned_data)
        except DomainError as refused:
            modeladmin.message_user(
                request, f"{title}: refused ({refused.code}): {refused.message}", messages.ERROR
            )
        else:
            modeladmin.log_change(request, obj, note)
            if isinstance(note, Queued):
                modeladmin.message_user(request, f"{title}: {note}", messages.WARNING)
            else:
                modeladmin.message_user(request, f"{title}: done. {note}", messages.SUCCESS)
        return HttpResponseRedirect(object_page(obj))
    return TemplateResponse(
        request,
        "admin/confirm_object_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": f"{title}: {obj}",
            "notice": notice,
            "form": form,
            "object": obj,
            "confirming": confirming,
            "preview": preview(obj, form.cleaned_data) if confirming else None,
            "values": [(f.label, shown_value(f)) for f in form] if confirming else [],
            "back": object_page(obj),
            "opts": modeladmin.model._meta,
        },
    )
