"""django-import-export resources for contacts and DND entries.

They import for real (numbers normalized to E.164, one row per number and list) and are
the fast import's yardstick in bench/import_bench.py; the web pages use the fast path in
campaigns/importers/, which has the same row rules."""

from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from telephony.phone import InvalidNumber, normalize, time_zone_for

from .models import Contact, ContactList, DndEntry, DndList


class _ListRowsResource(resources.ModelResource):
    """Rows of one list: the list column is filled in, numbers become E.164, and an
    invalid number skips its row (recorded in `invalid`) instead of failing the import."""

    list_field = ""

    def __init__(self, parent, region="IN", **kwargs):
        super().__init__(**kwargs)
        self.parent = parent
        self.region = region
        self.invalid = []  # (row number, value, reason)

    def before_import(self, dataset, **kwargs):
        if self.list_field not in (dataset.headers or []):
            dataset.append_col([self.parent.pk] * len(dataset), header=self.list_field)

    def before_import_row(self, row, row_number=None, **kwargs):
        raw = str(row.get("number") or "").strip()
        row[self.list_field] = self.parent.pk
        try:
            row["number"] = normalize(raw, self.region)
        except InvalidNumber as exc:
            row["_invalid"] = True
            self.invalid.append((row_number, raw, str(exc)))
        return raw

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if row.get("_invalid"):
            return True
        return super().skip_row(instance, original, row, import_validation_errors)


class ContactResource(_ListRowsResource):
    """Contacts of one list: `number`, `name`, `time_zone`; other columns are custom fields."""

    list_field = "contact_list"
    contact_list = fields.Field(
        attribute="contact_list", column_name="contact_list", widget=ForeignKeyWidget(ContactList)
    )

    class Meta:
        model = Contact
        fields = ("contact_list", "number", "raw_number", "name", "time_zone", "fields")
        import_id_fields = ("contact_list", "number")
        skip_unchanged = True

    def __init__(self, contact_list: ContactList, **kwargs):
        super().__init__(contact_list, contact_list.default_country, **kwargs)

    def before_import_row(self, row, **kwargs):
        raw = super().before_import_row(row, **kwargs)
        if row.get("_invalid"):
            return
        known = {"number", "name", "time_zone", "contact_list", "raw_number", "fields", "_invalid"}
        row["fields"] = {key: value for key, value in row.items() if key not in known}
        row["raw_number"] = raw[:64]
        row["time_zone"] = row.get("time_zone") or time_zone_for(row["number"])

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "fields":
            instance.fields = row.get("fields") or {}
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)


class DndEntryResource(_ListRowsResource):
    """Entries of one DND list: `number`, `name`, `reason`."""

    list_field = "dnd_list"
    dnd_list = fields.Field(
        attribute="dnd_list", column_name="dnd_list", widget=ForeignKeyWidget(DndList)
    )

    class Meta:
        model = DndEntry
        fields = ("dnd_list", "number", "name", "reason", "source")
        import_id_fields = ("dnd_list", "number")
        skip_unchanged = True

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        row["source"] = DndEntry.Source.FILE
