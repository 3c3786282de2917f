"""The builder's checks and preview of a campaign (to be built: issue #5)."""


class CampaignPreview:
    def problems(self) -> dict[str, str]:
        """Field name -> what is wrong, in words; empty when the campaign may start."""
        return {}
