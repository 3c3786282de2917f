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
