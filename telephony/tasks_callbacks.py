"""django-q2 job of the callbacks pages: follow due CPaaS callbacks at the vendor."""

from .models import Callback


def sync_callbacks(account_id: int | None = None) -> str:
    """Scheduled every 5 minutes (and run from the callbacks page): each due callback's
    call record at the vendor; one SyncRun row ("callbacks") per account. Safe twice."""
    return Callback.sync_due(account_id)
