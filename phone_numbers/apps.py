from django.apps import AppConfig


class PhoneNumbersConfig(AppConfig):
    name = "phone_numbers"
    verbose_name = "Phone numbers"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(ensure_schedules, sender=self)


NUMBER_JOBS = [
    ("Numbers sync (Omilia, OCA)", "phone_numbers.tasks.sync_all_numbers", "hourly", None),
    ("Number health rules", "phone_numbers.tasks.apply_health_rules", 15, None),
]


def ensure_schedules(sender, **kwargs):
    """The inventory's recurring jobs; idempotent, run after each migrate."""
    from telephony.signals import ensure_recurring

    ensure_recurring(NUMBER_JOBS)
