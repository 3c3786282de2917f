from django import template

from ..queries import status_label as _status_label

register = template.Library()


@register.filter
def status_label(value):
    return _status_label(str(value or ""))
