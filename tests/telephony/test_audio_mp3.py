"""mp3 is recognised by its content: an ID3v2 tag followed by an MPEG Layer III frame,
or such a frame at the start; never by the file's name."""

import pytest

from telephony.views.audio import mp3_problem

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 413
BARE_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x00" * 64


@pytest.mark.parametrize(
    "content, problem",
    [
        (MP3, ""),
        (BARE_FRAME, ""),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"hello there", "after its ID3 tag"),
        (WAV, "no ID3 tag"),
        (b"\xff\xfd\x90\x64", "not Layer III"),  # MPEG-1 Layer II
        (b"\xff\xfb\xf0\x64", "reserved values"),  # bitrate index 15
        (b"ID", "too short"),
    ],
)
def test_mp3_is_recognised_by_its_content(content, problem):
    found = mp3_problem(content)
    assert (problem in found) if problem else found == ""
