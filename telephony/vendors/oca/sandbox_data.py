"""The OCA sandbox's fixed data: error texts and codes, and what every tenant owns."""

ERROR_TEXT = {
    13: "Internal Error",
    17: "Invalid Authentication Credentials",
    19: "Missing Authorization Header",
    33: "Setting Is Not Exist",
    41: "User Is Not Exist",
    51: "Account Expired",
    55: "Your Quota Is not Enough",
    57: "Reached Maximum Concurrent Call Limit",
}
# The v1 table's HTTP status per code (33 is not stated in v1; v2 gives 404).
ERROR_HTTP = {13: 500, 17: 401, 19: 406, 33: 404, 39: 406, 41: 404, 51: 401, 55: 401, 57: 401}

# Caller-id numbers every tenant owns (the doc's shapes: 02184788xxx, 62857xxxxxxx).
SEED_NUMBERS = ["02184788101", "02184788102", "6285711220033"]

# IVRs every tenant has, as designed on the OCA dashboard. `questions` drive the
# simulated result[] of answered calls; the IVR list shows only the documented fields.
SEED_IVRS = [
    {
        "slug": "recording",
        "ivr_name": "Testing Call Recording",
        "required_variable": [],
        "questions": [
            {
                "question": "Sebutkan nama anda setelah tanda beep berikut, "
                "dan akhiri dengan menekan tanda pagar",
                "type": "record_speach",  # sic: the vendor's spelling
            }
        ],
    },
    {
        "slug": "resti",
        "ivr_name": "IVR Resti",
        "required_variable": ["name", "nomor_inet"],
        "questions": [
            {
                "question": "Tekan 1 jika gangguan internet anda sudah teratasi, "
                "tekan 2 jika belum",
                "type": "multiple_choice",
                "keys": ["1", "2"],
            },
            {"question": "Masukkan nomor internet anda", "type": "collect_number", "digits": 12},
        ],
    },
    {
        "slug": "tagihan",
        "ivr_name": "Pengingat Tagihan",
        "required_variable": ["name", "amount", "audio_1"],
        "questions": [
            {"question": "Masukkan nomor rekening anda", "type": "collect_number", "digits": 9},
            {
                "question": "Tekan 1 untuk membayar sekarang, tekan 2 untuk dihubungi kembali",
                "type": "multiple_choice",
                "keys": ["1", "2"],
            },
        ],
    },
    {
        # The doc's make-a-call example sends exactly these two variables.
        "slug": "dynamic-audio",
        "ivr_name": "Play External Audio",
        "required_variable": ["name", "audio_1"],
        "questions": [
            {
                "question": "Apakah anda sehat hari ini, tekan 1 jika sehat, "
                "tekan 2 jika kurang sehat",
                "type": "multiple_choice",
                "keys": ["1", "2"],
            }
        ],
    },
]

# How each simulated outcome hangs up (FreeSWITCH causes), chosen per number + seed.
HANGUP_CAUSES = {
    "answered": ("NORMAL_CLEARING",),
    "busy": ("USER_BUSY", "CALL_REJECTED"),
    "no_answer": ("NO_ANSWER", "NO_USER_RESPONSE"),
    "unavailable": ("SUBSCRIBER_ABSENT", "NO_ROUTE_DESTINATION"),
    "failed": ("UNALLOCATED_NUMBER", "OUTGOING_CALL_BARRED"),
}
