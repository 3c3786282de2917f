"""Dialdesk's own dispatch engine for MyOperator OBD and OCA (to be built: issue #5)."""


def launch_enqueue(campaign):
    """Queue the launch job (campaigns.tasks.launch_campaign) for `campaign`."""
    raise NotImplementedError


def runner_enqueue(campaign):
    """Queue the runner (campaigns.tasks.run_campaign) for `campaign`."""
    raise NotImplementedError
