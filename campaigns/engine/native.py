"""CPaaS native campaigns (to be built: issue #5)."""


def stop_at_vendor(campaign) -> str:
    """Stop the vendor's campaign; '' when stopped, else the vendor's own words."""
    raise NotImplementedError
