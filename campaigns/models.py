from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from telephony.phone import InvalidNumber, normalize


class ContactList(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    default_country = models.CharField(
        max_length=2,
        default="IN",
        help_text="ISO country for numbers written without a country code",
    )
    custom_fields = models.JSONField(
        default=list, blank=True, help_text="Names of the {fields} its contacts carry"
    )
    contact_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def refresh_count(self):
        self.contact_count = self.contacts.count()
        self.save(update_fields=["contact_count", "updated_at"])

    def add_custom_fields(self, names):
        new = [name for name in names if name and name not in self.custom_fields]
        if new:
            self.custom_fields = [*self.custom_fields, *new]
            self.save(update_fields=["custom_fields", "updated_at"])


class Contact(models.Model):
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="contacts")
    number = models.CharField(max_length=20, help_text="E.164")
    raw_number = models.CharField(max_length=64, blank=True, help_text="The number as given")
    name = models.CharField(max_length=200, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_list", "number"], name="unique_number_per_contact_list"
            )
        ]
        indexes = [models.Index(fields=["number"], name="contact_number_idx")]

    def __str__(self):
        return f"{self.name or self.number}"


class DndListQuerySet(models.QuerySet):
    def applying_to(self, dnd_list_ids=()):
        """The given DND lists plus the global one(s), which apply to every campaign."""
        return self.filter(Q(pk__in=list(dnd_list_ids)) | Q(is_global=True))


class DndList(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_global = models.BooleanField(
        default=False, help_text="The global list applies to every campaign"
    )
    entry_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DndListQuerySet.as_manager()

    class Meta:
        ordering = ["-is_global", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_global"], condition=Q(is_global=True), name="one_global_dnd_list"
            )
        ]

    def __str__(self):
        return self.name

    def refresh_count(self):
        self.entry_count = self.entries.count()
        self.save(update_fields=["entry_count", "updated_at"])


class DndEntryQuerySet(models.QuerySet):
    def blocking(self, number, dnd_list_ids=None, default_region="IN"):
        """Entries that block `number` (any format), across all lists or the given ones."""
        try:
            e164 = normalize(number, default_region)
        except InvalidNumber:
            return self.none()
        entries = self.filter(number=e164)
        if dnd_list_ids is not None:
            entries = entries.filter(dnd_list__in=DndList.objects.applying_to(dnd_list_ids))
        return entries.select_related("dnd_list", "added_by")


class DndEntry(models.Model):
    class Source(models.TextChoices):
        FILE = "file", "File import"
        MANUAL = "manual", "Added by hand"
        VENDOR = "vendor", "From the vendor"

    dnd_list = models.ForeignKey(DndList, on_delete=models.CASCADE, related_name="entries")
    number = models.CharField(max_length=20, help_text="E.164")
    name = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = DndEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "DND entries"
        constraints = [
            models.UniqueConstraint(
                fields=["dnd_list", "number"], name="unique_number_per_dnd_list"
            )
        ]
        indexes = [models.Index(fields=["number"], name="dnd_number_idx")]

    def __str__(self):
        return self.number


class ImportJob(models.Model):
    """One upload (or paste) into a contact list or DND list, run by a django-q2 job.

    Counters are written as the job goes, so the page can show progress and a crashed
    job shows how far it got; `committed_rows` is how many source rows are safely in."""

    class Kind(models.TextChoices):
        CONTACTS = "contacts", "Contacts"
        DND = "dnd", "DND numbers"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    contact_list = models.ForeignKey(
        ContactList, null=True, blank=True, on_delete=models.CASCADE, related_name="imports"
    )
    dnd_list = models.ForeignKey(
        DndList, null=True, blank=True, on_delete=models.CASCADE, related_name="imports"
    )
    upload = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    file_format = models.CharField(max_length=10, blank=True)  # csv, xlsx, paste
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    has_header = models.BooleanField(default=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="column -> field")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_processed = models.PositiveIntegerField(default=0)
    committed_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates_in_file = models.PositiveIntegerField(default=0)
    already_in_list = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    dnd_matches = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    error_report = models.FileField(upload_to="import-reports/%Y/%m/", blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} import {self.original_name or self.pk}"


class VendorPush(models.Model):
    """A contact or DND list pushed to a vendor account (CPaaS): the vendor's list id and
    how far the push got, so pushing again sends only newer rows and resumes cleanly."""

    account = models.ForeignKey(
        "telephony.ProviderAccount", on_delete=models.CASCADE, related_name="list_pushes"
    )
    contact_list = models.ForeignKey(
        ContactList, null=True, blank=True, on_delete=models.CASCADE, related_name="pushes"
    )
    dnd_list = models.ForeignKey(
        DndList, null=True, blank=True, on_delete=models.CASCADE, related_name="pushes"
    )
    vendor_list_id = models.CharField(max_length=64, blank=True)
    last_pushed_id = models.BigIntegerField(default=0, help_text="Highest row id sent")
    pushed_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, default="idle")  # idle, running, done, failed
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "contact_list"],
                condition=Q(contact_list__isnull=False),
                name="one_push_per_account_and_contact_list",
            ),
            models.UniqueConstraint(
                fields=["account", "dnd_list"],
                condition=Q(dnd_list__isnull=False),
                name="one_push_per_account_and_dnd_list",
            ),
        ]

    def __str__(self):
        return f"push of {self.contact_list or self.dnd_list} to {self.account}"
