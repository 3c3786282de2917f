"""django-q2 jobs of the campaigns app. Each takes ids, is safe to run twice, and records
its progress on a row (ImportJob, VendorPush, …)."""
