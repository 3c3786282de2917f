from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self):
        # Models never import the engine (STYLE.md, "Layers"): the engine registers
        # what a campaign's lifecycle asks of it (campaigns/models/lifecycle.py).
        from campaigns import engine
        from campaigns.models.lifecycle import register_engine

        register_engine(engine)
