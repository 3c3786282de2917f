"""Contact and DND imports: reading files, mapping columns, previewing, and the fast job."""

from .intake import (
    column_reasons,
    create_job,
    max_upload_bytes,
    preview,
    reread,
    sample_rows,
    too_large_message,
)
from .job import BATCH_SIZE, Importer, data_rows, dnd_matches, run_import
from .mapping import RowParser, auto_map, choices_for, field_name, mapping_problems
from .reading import Limits, TooBig, UnreadableFile, cell_text, paste_to_csv, sniff
from .uploads import SizeLimitUploadHandler

__all__ = [
    "BATCH_SIZE",
    "Importer",
    "Limits",
    "RowParser",
    "SizeLimitUploadHandler",
    "TooBig",
    "UnreadableFile",
    "auto_map",
    "cell_text",
    "choices_for",
    "column_reasons",
    "create_job",
    "data_rows",
    "dnd_matches",
    "field_name",
    "mapping_problems",
    "max_upload_bytes",
    "paste_to_csv",
    "preview",
    "reread",
    "run_import",
    "sample_rows",
    "sniff",
    "too_large_message",
]
