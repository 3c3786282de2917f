from django.apps import AppConfig


class PhoneNumbersConfig(AppConfig):
    name = "phone_numbers"
    verbose_name = "Phone numbers"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(ensure_schedules, sender=self)


def ensure_schedules(sender, **kwargs):
    """The inventory's recurring jobs; idempotent, run after each migrate."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="Numbers sync (Omilia, OCA)",
        defaults={
            "func": "phone_numbers.tasks.sync_all_numbers",
            "schedule_type": Schedule.HOURLY,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="Number health rules",
        defaults={
            "func": "phone_numbers.tasks.apply_health_rules",
            "schedule_type": Schedule.MINUTES,
            "minutes": 15,
            "repeats": -1,
        },
    )
