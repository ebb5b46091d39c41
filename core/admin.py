"""Admin helpers every app's back office uses: the confirmation step that every
value-moving admin action goes through, and the reason it asks for."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.template.response import TemplateResponse

from core.errors import DomainError


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
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded on the transaction and in the admin history.",
    )
