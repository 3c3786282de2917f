"""Contact and DND imports: reading files, mapping columns, previewing, and the fast job."""

from .job import (
    BATCH_SIZE,
    Importer,
    create_job,
    data_rows,
    dnd_matches,
    max_upload_bytes,
    preview,
    run_import,
    too_large_message,
)
from .mapping import RowParser, auto_map, choices_for, field_name, mapping_problems
from .reading import UnreadableFile, cell_text, paste_to_csv, sniff
from .uploads import SizeLimitUploadHandler

__all__ = [
    "BATCH_SIZE",
    "Importer",
    "RowParser",
    "SizeLimitUploadHandler",
    "UnreadableFile",
    "auto_map",
    "cell_text",
    "choices_for",
    "create_job",
    "data_rows",
    "dnd_matches",
    "field_name",
    "mapping_problems",
    "max_upload_bytes",
    "paste_to_csv",
    "preview",
    "run_import",
    "sniff",
    "too_large_message",
]
