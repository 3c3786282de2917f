"""What a campaign's lifecycle asks of the engine, without importing it.

Models never import the engine (STYLE.md, "Layers"). Campaign.start/resume/stop need three
things done by it; the engine registers the object that does them when the app is ready
(CampaignsConfig.ready() registers the campaigns.engine package):

- launch_enqueue(campaign): queue the launch job (build the targets, then dial or hand
  the campaign to the vendor);
- runner_enqueue(campaign): queue a runner for a running campaign;
- stop_at_vendor(campaign) -> str: stop a native campaign at the vendor; its error in
  words, or "".
"""

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


class Engine(Protocol):
    def launch_enqueue(self, campaign): ...

    def runner_enqueue(self, campaign): ...

    def stop_at_vendor(self, campaign) -> str: ...


_engine: Engine | None = None


def register_engine(engine: Engine) -> None:
    """Called once by CampaignsConfig.ready() with the engine (campaigns.engine)."""
    global _engine
    _engine = engine


def engine() -> Engine:
    if _engine is None:
        raise ImproperlyConfigured(
            "No campaign engine is registered: CampaignsConfig.ready() registers it."
        )
    return _engine
