"""Demo data on the sandboxes: one user per role (and later, one account per vendor).

Idempotent: running it again creates nothing twice and resets nothing a user changed,
except that the demo users' passwords are set back to the demo password.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from telephony.models import ProviderAccount

DEMO_USERS = [
    # username, role, full name, time zone
    ("admin", "Admin", "Asha Admin", "Asia/Kolkata"),
    ("supervisor", "Supervisor", "Sam Supervisor", "Asia/Kolkata"),
    ("viewer", "Viewer", "Vera Viewer", "Europe/London"),
]


class Command(BaseCommand):
    help = "Create the demo users (one per role) and demo data on the vendor sandboxes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sandbox-url",
            default="http://127.0.0.1:8000/sandbox",
            help="Where the web server serves the vendor simulators",
        )

    def handle(self, *args, sandbox_url, **options):
        User = get_user_model()
        for username, role, full_name, tz in DEMO_USERS:
            first, last = full_name.split(" ", 1)
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            user.set_password(settings.DEMO_PASSWORD)
            user.is_active = True
            user.save()
            user.groups.add(Group.objects.get(name=role))
            if created:
                user.profile.time_zone = tz
                user.profile.save()
            self.stdout.write(f"{'Created' if created else 'Kept'} {role.lower()} user {username}")
        if settings.SANDBOX_ENABLED:
            self.load_vendor_accounts(sandbox_url)
        else:
            self.stdout.write("SANDBOX_ENABLED is off: no demo vendor accounts.")
        self.load_lists()

    def load_vendor_accounts(self, sandbox_url):
        """One account per vendor, pointing at its simulator, plus vendor-side demo state."""
        for vendor in DEMO_VENDORS:
            sandbox = import_module(f"telephony.vendors.{vendor}.sandbox")
            fields = sandbox.demo_account(sandbox_url)
            secrets = fields.pop("secrets", {})
            account, created = ProviderAccount.objects.update_or_create(
                name=fields.pop("name"), defaults=fields
            )
            account.set_secrets(secrets)
            account.save()
            sandbox.seed_demo()
            verb = "Created" if created else "Kept"
            self.stdout.write(f"{verb} {account.get_kind_display()} account {account.name}")

    def load_lists(self):
        """A demo contact list and DND lists (some demo contacts are on DND)."""
        from campaigns.demo import load_demo_lists

        for line in load_demo_lists():
            self.stdout.write(line)


DEMO_VENDORS = ["myoperator", "cpaas", "omilia", "oca"]
