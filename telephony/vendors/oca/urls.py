"""The OCA Telkom call gateway v1 simulator, under /sandbox/oca/api/v1/."""

from django.urls import path

from . import sandbox

urlpatterns = [
    path("api/v1/upload-audio", sandbox.upload_audio, name="oca-upload-audio"),
    # GUESS: the doc leaves the list-audio path blank; both likely spellings are served.
    path("api/v1/audio-list", sandbox.list_audio, name="oca-audio-list"),
    path("api/v1/list-audio", sandbox.list_audio, name="oca-list-audio"),
    path("api/v1/delete-audio/<str:audio_id>", sandbox.delete_audio, name="oca-delete-audio"),
    path("api/v1/ivr-list", sandbox.ivr_list, name="oca-ivr-list"),
    # GUESS: the numbers collection's path and shape are blank in the doc; /number answers
    # {"from_number": [...]} (like OCA SMS Premium's /number), /numbers a bare array.
    path("api/v1/number", sandbox.numbers_object, name="oca-number"),
    path("api/v1/numbers", sandbox.numbers_array, name="oca-numbers"),
    path("api/v1/call", sandbox.make_call, name="oca-call"),
    path("api/v1/call-status/<str:call_id>", sandbox.call_status, name="oca-call-status"),
]
