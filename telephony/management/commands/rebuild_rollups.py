from django.core.management.base import BaseCommand, CommandError

from telephony.models import ProviderAccount
from telephony.sync.rollups import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the CDR rollups (CallRollup, and CallRollupDay for every phase in use) "
        "from the stored CallRecords, account by account, set-based."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--account", type=int, action="append", help="Only this account id (repeatable)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Records read per batch (5000)"
        )

    def handle(self, *args, account=None, batch_size=5000, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        if account:
            missing = set(account) - set(
                ProviderAccount.objects.filter(pk__in=account).values_list("pk", flat=True)
            )
            if missing:
                raise CommandError(f"No account with id {', '.join(map(str, sorted(missing)))}.")

        def progress(account_id, rows):
            self.stdout.write(f"account {account_id}: {rows} rollup rows")

        total = rebuild(account, batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {total} rollup rows."))
