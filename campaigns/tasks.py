"""django-q2 jobs of the campaigns app. Each takes ids, is safe to run twice, and records
its progress on a row (ImportJob, VendorPush, …)."""


# --- push ---


def push_list(push_id):
    """Push a contact or DND list's new rows to the vendor (VendorPush.run)."""
    from campaigns.models import VendorPush

    push = VendorPush.objects.filter(pk=push_id).first()
    if push is None:
        return "push gone"
    return push.run()


# --- imports ---


def run_import(job_id):
    """Import a file into a contact or DND list (ImportJob); resumes a crashed run."""
    from campaigns.importers import run_import as run

    run(job_id)


def sweep_import_uploads():
    """Hourly: delete stored uploads and error reports no import refers to (over an hour old)."""
    from campaigns.importers.uploads import sweep_orphaned_uploads

    return f"{sweep_orphaned_uploads()} orphaned files removed"


# --- campaigns (the dispatch engine) ---


def launch_campaign(campaign_id):
    """Build a started campaign's targets, then launch it (engine or vendor)."""
    from campaigns.engine.jobs import launch_campaign as launch

    return launch(campaign_id)


def run_campaign(campaign_id):
    """Dial a running engine campaign for a time budget, then queue the next runner."""
    from campaigns.engine.jobs import run_campaign as run

    return run(campaign_id)


def engine_watchdog():
    """Every minute: promote, restart stale runners, sync native campaigns, read outcomes."""
    from campaigns.engine.jobs import engine_watchdog as watchdog

    return watchdog()
