"""Placeholder until built (issue #5)."""

from django.http import Http404


def campaign_index(request, **kwargs):
    raise Http404


def campaign_create(request, **kwargs):
    raise Http404


def campaign_check(request, **kwargs):
    raise Http404


def campaign_edit(request, **kwargs):
    raise Http404


def campaign_clone(request, **kwargs):
    raise Http404


def campaign_delete(request, **kwargs):
    raise Http404
