"""Demo data on the sandboxes: one user per role (and later, one account per vendor).

Idempotent, and it only ever adds what is missing: `make run` calls it on every start,
so a demo user's new password, role or deactivation, and an edited demo vendor account,
are kept as the user left them. The one thing it moves is a demo account's sandbox
address when the server itself moved (`PORT=8031 make run` after a run on 8000): a URL
that still points at a Dialdesk sandbox path follows the server, any other URL stays.
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
            if User.objects.filter(username=username).exists():
                self.stdout.write(
                    f"Kept {role.lower()} user {username} (its password, role and status "
                    "are as they were)"
                )
                continue
            first, last = full_name.split(" ", 1)
            user = User(username=username, first_name=first, last_name=last)
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
            user.groups.add(Group.objects.get(name=role))
            user.profile.time_zone = tz
            user.profile.save()
            self.stdout.write(f"Created {role.lower()} user {username}")
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
            name = fields.pop("name")
            account = ProviderAccount.objects.filter(name=name).first()
            if account is None:
                account = ProviderAccount(name=name, **fields)
                account.set_secrets(secrets)
                account.save()
                self.stdout.write(f"Created {account.get_kind_display()} account {name}")
            else:
                moved = follow_sandbox_address(account, fields)
                note = " (its sandbox address now follows this server)" if moved else ""
                self.stdout.write(f"Kept {account.get_kind_display()} account {name}{note}")
            sandbox.seed_demo()

    def load_lists(self):
        """A demo contact list and DND lists (some demo contacts are on DND)."""
        from campaigns.demo import load_demo_lists

        for line in load_demo_lists():
            self.stdout.write(line)


DEMO_VENDORS = ["myoperator", "cpaas", "omilia", "oca"]
SANDBOX_PATH = "/sandbox/"


def follow_sandbox_address(account, fields) -> bool:
    """Point the account's sandbox URLs at this server's sandbox, when they are the demo's
    own URLs on another address; a URL the user pointed elsewhere is left alone."""
    changed = []

    def moved(stored, wanted):
        if not (isinstance(stored, str) and isinstance(wanted, str)):
            return False
        if SANDBOX_PATH not in stored or SANDBOX_PATH not in wanted or stored == wanted:
            return False
        return stored.split(SANDBOX_PATH, 1)[1] == wanted.split(SANDBOX_PATH, 1)[1]

    if moved(account.base_url, fields.get("base_url")):
        account.base_url = fields["base_url"]
        changed.append("base_url")
    config = dict(account.config or {})
    for key, wanted in (fields.get("config") or {}).items():
        if moved(config.get(key), wanted):
            config[key] = wanted
            if "config" not in changed:
                changed.append("config")
    if changed:
        account.config = config
        account.save(update_fields=[*changed, "updated_at"])
    return bool(changed)
