"""{% account_sync_panel account %}: the sync panel of an account page."""

from django import template

from telephony.sync.status import sync_panel

register = template.Library()


@register.inclusion_tag("telephony/partials/account_sync.html", takes_context=True)
def account_sync_panel(context, account):
    return {
        **sync_panel(account),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
