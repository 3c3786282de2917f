"""What the campaign page shows while a campaign runs (to be built: issue #5)."""


class CampaignProgress:
    pass
