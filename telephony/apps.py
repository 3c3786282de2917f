from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "telephony"
    verbose_name = "Telephony"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals
        from .sync.schedules import ensure_sync_schedules

        post_migrate.connect(signals.ensure_schedules, sender=self)
        post_migrate.connect(signals.ensure_roles, sender=self)
        post_migrate.connect(ensure_sync_schedules, sender=self)
