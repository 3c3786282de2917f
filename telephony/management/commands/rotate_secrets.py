"""Re-encrypt every vendor account's secrets with the newest key.

Put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), run this,
then drop the old keys. Running it again changes nothing that matters: it is idempotent.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from telephony.models import ProviderAccount


class Command(BaseCommand):
    help = "Re-encrypt every vendor account's secrets with the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        rotated = 0
        with transaction.atomic():
            for account in ProviderAccount.objects.select_for_update().exclude(
                secrets_encrypted=""
            ):
                account.rotate_secrets()
                account.save(update_fields=["secrets_encrypted"])
                rotated += 1
        self.stdout.write(
            f"Re-encrypted the secrets of {rotated} vendor account{'s' if rotated != 1 else ''} "
            "with the first key of FIELD_ENCRYPTION_KEYS."
        )
