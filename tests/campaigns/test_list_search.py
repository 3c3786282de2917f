"""Search of big contact and DND lists (issue 15): every form of search is served by an
index, on SQLite (FTS5) and on PostgreSQL (tsvector GIN, reverse(number)), and every
write path (ORM, raw SQL, the fast import) keeps the index right. Plans, not times."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from campaigns.importers import create_job, run_import
from campaigns.models import Contact, ContactList, DndEntry, DndList, ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
POSTGRES = connection.vendor == "postgresql"


def make_list(filler=0):
    """Three people, and `filler` more contacts (so a planner sees a list worth indexing)."""
    contact_list = ContactList.objects.create(name="Big", custom_fields=["city", "plan"])
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, number=f"+91700000{i:04d}", name=f"Filler {i}")
        for i in range(filler)
    )
    people = [
        ("+919876500001", "Ravi Kumar", {"city": "Pune", "plan": "gold"}),
        ("+919876500002", "Anita Rao", {"city": "Delhi", "plan": "silver"}),
        ("+919812343210", "Zoë Fernandes", {"city": "Goa", "plan": "gold"}),
    ]
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, number=number, name=name, fields=fields)
        for number, name, fields in people
    )
    return contact_list


def found(contact_list, q, **filters):
    contacts = Contact.objects.filtered(contact_list, q=q, **filters)
    return sorted(contacts.values_list("number", flat=True))


def plan(queryset) -> str:
    """The query plan, after ANALYZE (so the planner knows the filler is there)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return queryset.explain()


def test_a_word_finds_names_and_custom_field_values_by_their_start():
    contact_list = make_list()
    assert found(contact_list, "rav") == ["+919876500001"]
    assert found(contact_list, "ravi kum") == ["+919876500001"]
    assert found(contact_list, "GOLD") == ["+919812343210", "+919876500001"]
    assert found(contact_list, "fern") == ["+919812343210"]
    if not POSTGRES:  # FTS5 folds accents; PostgreSQL's "simple" configuration does not
        assert found(contact_list, "zoe") == ["+919812343210"]
    assert found(contact_list, "umar") == []  # the middle of a word: no index serves it


def test_numbers_are_found_whole_by_their_last_digits_or_by_plus_and_their_start():
    contact_list = make_list()
    assert found(contact_list, "098765 00002") == ["+919876500002"]
    assert found(contact_list, "3210") == ["+919812343210"]
    assert found(contact_list, "43210") == ["+919812343210"]
    assert found(contact_list, "53210") == []
    assert found(contact_list, "+91987") == ["+919876500001", "+919876500002"]
    assert found(contact_list, "210") == []  # too few digits for the index: nothing


def test_the_name_search_uses_the_search_index():
    contact_list = make_list(filler=3000)
    rare = plan(Contact.objects.filtered(contact_list, q="ravi").order_by("pk")[:51])
    common = plan(Contact.objects.filtered(contact_list, q="filler").order_by("pk")[:51])
    if POSTGRES:
        assert "campaigns_contact_words_idx" in rare
    else:
        # Few matches: their ids, by primary key; many: the list in id order, each
        # contact checked against the FTS result (the page fills at once).
        assert "USING INTEGER PRIMARY KEY" in rare
        assert "campaigns_contact_search VIRTUAL TABLE INDEX" in common


def test_the_ends_with_search_uses_the_search_index():
    contact_list = make_list(filler=3000)
    explained = plan(Contact.objects.filtered(contact_list, q="43210").order_by("pk")[:51])
    if POSTGRES:
        assert "campaigns_contact_tail_idx" in explained
    else:
        assert "campaigns_contact_search VIRTUAL TABLE INDEX" in explained


def test_the_dnd_search_and_source_filter_use_indexes():
    dnd_list = DndList.objects.create(name="Blocked")
    DndEntry.objects.bulk_create(
        DndEntry(dnd_list=dnd_list, number=f"+91700000{i:04d}", source="file", name=f"F {i}")
        for i in range(3000)
    )
    dnd_list.add_numbers("9876500001\n9812343210", reason="court order")
    assert list(DndEntry.objects.filtered(dnd_list, q="cour").values_list("number", flat=True))
    assert [e.number for e in DndEntry.objects.filtered(dnd_list, q="43210")] == ["+919812343210"]
    words = plan(DndEntry.objects.filtered(dnd_list, q="court").order_by("pk")[:51])
    source = plan(DndEntry.objects.filtered(dnd_list, source="manual").order_by("pk")[:51])
    assert "dnd_list_source_idx" in source
    if POSTGRES:
        assert "campaigns_dndentry_words_idx" in words
    else:
        assert "USING INTEGER PRIMARY KEY" in words  # two matches: by their ids
        many = plan(DndEntry.objects.filtered(dnd_list, q="f").order_by("pk")[:51])
        assert "campaigns_dndentry_search VIRTUAL TABLE INDEX" in many


def test_the_not_blocked_filter_probes_the_dnd_index_instead_of_reading_every_entry():
    contact_list = make_list(filler=3000)
    DndList.objects.create(name="Blocked").add_numbers("9876500001")
    clear = found(contact_list, "", dnd="clear")
    assert "+919876500001" not in clear and len(clear) == 3002
    explained = plan(Contact.objects.filtered(contact_list, dnd="clear").order_by("pk")[:51])
    assert "Anti Join" not in explained  # PostgreSQL's hash anti-join over every entry
    assert "dnd_number_idx" in explained or "sqlite_autoindex" in explained


def test_every_write_path_keeps_the_search_index_right():
    contact_list = make_list()
    Contact.objects.filter(number="+919876500001").update(name="Ravindra Shastri")
    assert found(contact_list, "kumar") == []
    assert found(contact_list, "ravindra") == ["+919876500001"]
    Contact.objects.filter(number="+919876500002").update(fields={"city": "Mysuru"})
    assert found(contact_list, "delhi") == [] and found(contact_list, "mysuru")
    Contact.objects.filter(number="+919812343210").delete()
    assert found(contact_list, "3210") == [] and found(contact_list, "fern") == []
    with connection.cursor() as cursor:  # raw SQL, as other jobs write
        cursor.execute(
            "INSERT INTO campaigns_contact (contact_list_id, number, raw_number, name, fields, "
            "time_zone, is_active, created_at, updated_at) VALUES "
            "(%s, '+919876511111', '', 'Meena Iyer', '{}', '', TRUE, %s, %s)",
            [contact_list.pk, "2026-12-04 10:00:00+00:00", "2026-12-04 10:00:00+00:00"],
        )
    assert found(contact_list, "meen") == ["+919876511111"]
    assert found(contact_list, "1111") == ["+919876511111"]


def test_the_fast_import_indexes_the_rows_it_writes_and_nothing_else(contact_list):
    data = "number,name,city\n9876512345,Kiran Shah,Nagpur\n9876554321,Deepa Nair,Kochi\n"
    upload = SimpleUploadedFile("people.csv", data.encode())
    job = create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=upload)
    run_import(job.pk)
    assert found(contact_list, "kiran") == ["+919876512345"]
    assert found(contact_list, "kochi") == ["+919876554321"]
    assert found(contact_list, "2345") == ["+919876512345"]
    # The import drops the per-row insert trigger for its batch only: it is back after.
    if not POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                "'campaigns_%_search_ai' ORDER BY name"
            )
            assert [row[0] for row in cursor.fetchall()] == [
                "campaigns_contact_search_ai",
                "campaigns_dndentry_search_ai",
            ]
            cursor.execute(
                "SELECT count(*) FROM campaigns_contact_search WHERE "
                "campaigns_contact_search MATCH 'kiran'"
            )
            assert cursor.fetchone()[0] == 1  # once, not by the trigger and the batch
    Contact.objects.create(contact_list=contact_list, number="+919876599999", name="Later Person")
    assert found(contact_list, "later") == ["+919876599999"]


@pytest.mark.skipif(POSTGRES, reason="SQLite's FTS triggers")
def test_an_import_batch_that_fails_leaves_the_insert_trigger_in_place(contact_list, monkeypatch):
    from campaigns.models.search import BulkSearchFill

    def broken(self, cursor, floor):
        raise RuntimeError("disk full")

    monkeypatch.setattr(BulkSearchFill, "fill", broken)
    upload = SimpleUploadedFile("people.csv", b"number,name\n9876512345,Kiran Shah\n")
    job = create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=upload)
    with pytest.raises(RuntimeError):
        run_import(job.pk)
    assert not Contact.objects.filter(contact_list=contact_list).exists()
    Contact.objects.create(contact_list=contact_list, number="+919876599999", name="Later Person")
    assert found(contact_list, "later") == ["+919876599999"]


def test_a_search_no_index_can_serve_says_what_the_box_finds(viewer_client):
    contact_list = make_list()
    url = reverse("campaigns:list_detail", args=[contact_list.pk])
    response = viewer_client.get(url, {"q": "21"})
    assert b"last 4 or more digits" in response.content
    assert b"Name or field word, whole number, or its last 4+ digits" in response.content
    dnd_list = DndList.objects.create(name="Blocked")
    response = viewer_client.get(reverse("campaigns:dnd_detail", args=[dnd_list.pk]), {"q": "21"})
    assert b"words that start names or reasons" in response.content


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL's GIN pending list")
def test_an_import_leaves_no_pending_entries_in_the_word_index(contact_list):
    """The import lets the GIN index gather entries in a bigger pending list, then merges
    it: a search reads the pending list whole, so none is left behind."""
    data = "number,name,city\n" + "".join(f"98765{i:05d},Person {i},Town {i}\n" for i in range(300))
    upload = SimpleUploadedFile("people.csv", data.encode())
    job = create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=upload)
    run_import(job.pk)
    assert found(contact_list, "person")[:1] == ["+919876500000"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('campaigns_contact_words_idx'::regclass)")
        assert cursor.fetchone()[0] == 0  # nothing left to merge
        Contact.objects.create(contact_list=contact_list, number="+919876599999", name="Later")
        cursor.execute("SELECT gin_clean_pending_list('campaigns_contact_words_idx'::regclass)")
        assert cursor.fetchone()[0] > 0  # (a plain insert does leave pending entries)
