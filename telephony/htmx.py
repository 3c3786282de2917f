"""One view serves the full page and its htmx partial (DESIGN.md, "Habits")."""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_partial(request) -> bool:
    """An htmx request (search, filter, paging, polling) wants only the partial; a history
    restore after a reload wants the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(request, template: str, context: dict, partial: str):
    """`template`, or only its `{% partialdef partial %}` for an htmx request. Responses
    vary on HX-Request, so a cache never serves the partial as the page."""
    name = f"{template}#{partial}" if wants_partial(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
