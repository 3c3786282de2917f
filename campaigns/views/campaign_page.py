"""Placeholder until built (issue #5)."""

from django.http import Http404


def campaign_detail(request, **kwargs):
    raise Http404


def campaign_attempts(request, **kwargs):
    raise Http404


def campaign_start(request, **kwargs):
    raise Http404


def campaign_pause(request, **kwargs):
    raise Http404


def campaign_resume(request, **kwargs):
    raise Http404


def campaign_stop(request, **kwargs):
    raise Http404
