"""The OCA audio library and IVR list, through the pages, against the OCA sandbox over
real HTTP: mp3 checked by its content (a renamed non-mp3 is refused, an mp3 under another
name is taken), the size limit from settings, deleting confirmed, OCA's refusals in its
words, and who may do what."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from telephony.models import ProviderAccount, ProviderRequest, SandboxRecord
from telephony.vendors.oca import sandbox
from telephony.vendors.oca.sandbox_data import SEED_IVRS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# An ID3v2.4 tag (no frames) then one MPEG-1 Layer III frame header, and a bare frame.
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 413
BARE_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x00" * 64


@pytest.fixture
def account(live_server):
    account = ProviderAccount(
        kind="oca",
        name="OCA sandbox",
        base_url=f"{live_server.url}/sandbox/oca/api/v1",
        config={"username": sandbox.SANDBOX_CREDENTIALS["username"]},
    )
    account.set_secrets({"password": sandbox.SANDBOX_CREDENTIALS["password"]})
    account.save()
    return account


def stored_audio():
    return SandboxRecord.objects.filter(vendor="oca", kind="audio")


def upload(client, account, name, content, content_type="audio/mpeg"):
    return client.post(
        reverse("telephony:audio_upload", args=[account.pk]),
        {"audio": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def uploads_sent():
    return ProviderRequest.objects.filter(endpoint="/upload-audio").count()


def test_an_admin_uploads_an_mp3_and_sees_it_listed(admin_client, account):
    response = upload(admin_client, account, "welcome.MP3", MP3)

    assert response.status_code == 302
    record = stored_audio().get()
    assert record.data["name"] == "welcome.mp3"
    page = admin_client.get(response["Location"]).content.decode()
    assert "Uploaded welcome.mp3 to OCA." in page
    assert record.data["url"] in page


def test_an_mp3_under_another_name_is_taken_by_its_content(admin_client, account):
    response = upload(admin_client, account, "prompt.bin", BARE_FRAME, "application/octet-stream")

    assert response.status_code == 302
    assert stored_audio().get().data["name"] == "prompt.mp3"


def test_a_renamed_non_mp3_or_no_file_is_refused_before_anything_is_sent(admin_client, account):
    for content in (b"just some text, not audio" * 4, WAV):
        response = upload(admin_client, account, "fake.mp3", content)
        assert response.status_code == 200
        assert "fake.mp3 is not mp3 audio:" in response.content.decode()
    empty = admin_client.post(reverse("telephony:audio_upload", args=[account.pk]), {})
    assert "Choose an mp3 file to upload." in empty.content.decode()
    assert uploads_sent() == 0
    assert not stored_audio().exists()


def test_an_oversized_file_is_refused_unsent(admin_client, account, settings):
    settings.OCA_AUDIO_MAX_MB = 1

    # Past the limit and the envelope's slack: refused on its Content-Length, unread.
    declared = upload(admin_client, account, "long.mp3", MP3 + b"\x00" * (1200 * 1024))
    # Within the slack, so the Content-Length passes: the upload cap stops it streaming.
    streamed = upload(admin_client, account, "long.mp3", MP3 + b"\x00" * (1024 * 1024))

    for response in (declared, streamed):
        assert response.status_code == 413
        assert "the audio library takes mp3 files up to 1 MB" in response.content.decode()
    assert uploads_sent() == 0


def test_deleting_is_confirmed_then_done_at_oca(admin_client, account):
    upload(admin_client, account, "bye.mp3", MP3)
    audio_id = stored_audio().get().key
    url = reverse("telephony:audio_delete", args=[account.pk, audio_id])

    confirm = admin_client.get(url).content.decode()
    assert "Delete bye.mp3 at OCA?" in confirm
    assert stored_audio().exists()

    response = admin_client.post(url)

    assert response.status_code == 302
    assert not stored_audio().exists()


def test_deleting_a_file_oca_does_not_have_shows_ocas_words(admin_client, account):
    url = reverse("telephony:audio_delete", args=[account.pk, "5f1c03d61fae4001267affff"])

    response = admin_client.post(url)

    assert "OCA: Setting Is Not Exist" in response.content.decode()


def test_a_wrong_login_shows_ocas_words_on_the_library(admin_client, account):
    account.set_secrets({"password": "wrong"})
    account.save()

    html = admin_client.get(reverse("telephony:audio_index", args=[account.pk])).content.decode()

    assert "Invalid Authentication Credentials" in html


def test_a_supervisor_reads_the_library_but_cannot_change_it(
    admin_client, supervisor_client, viewer_client, account
):
    upload(admin_client, account, "keep.mp3", MP3)
    audio_id = stored_audio().get().key

    page = supervisor_client.get(reverse("telephony:audio_index", args=[account.pk]))

    assert "keep.mp3" in page.content.decode()
    assert "Upload an mp3" not in page.content.decode()
    assert upload(supervisor_client, account, "x.mp3", MP3).status_code == 403
    delete = reverse("telephony:audio_delete", args=[account.pk, audio_id])
    assert supervisor_client.post(delete).status_code == 403
    assert viewer_client.get(reverse("telephony:audio_index", args=[account.pk])).status_code == 403
    assert stored_audio().count() == 1


def test_the_ivr_list_shows_the_variables_each_ivr_requires(supervisor_client, account):
    html = supervisor_client.get(reverse("telephony:ivr_index", args=[account.pk])).content.decode()

    for ivr in SEED_IVRS:
        assert ivr["ivr_name"] in html
    assert 'mono me-1">nomor_inet</span>' in html
    assert "none" in html  # the recording IVR requires nothing
    oca_page = supervisor_client.get(reverse("telephony:oca_index")).content.decode()
    assert reverse("telephony:audio_index", args=[account.pk]) in oca_page
    assert reverse("telephony:ivr_index", args=[account.pk]) in oca_page
