"""Telephony models, one module per concern (DESIGN.md, "Layout")."""

from .accounts import (
    TIME_ZONE_CHOICES,
    ProviderAccount,
    ProviderAccountQuerySet,
    ProviderRequest,
    UserProfile,
    VendorKind,
    WorkerHeartbeat,
    WorkerHeartbeatQuerySet,
    _fernet,
    active_admins,
    assign_role,
    dashboard_figures,
    lock_active_admins,
    user_change_problems,
)
from .callbacks import Callback
from .calls import Call
from .cdr import (
    CallRecord,
    CallRollup,
    Freshness,
    LogFilter,
    Reconciliation,
    SyncCursor,
    SyncRun,
    bucket_of,
    reversed_digits,
)
from .sandbox import SandboxCall, SandboxConfig, SandboxRecord

__all__ = [
    "TIME_ZONE_CHOICES",
    "Call",
    "Callback",
    "CallRecord",
    "CallRollup",
    "Freshness",
    "LogFilter",
    "Reconciliation",
    "SyncCursor",
    "SyncRun",
    "ProviderAccount",
    "ProviderAccountQuerySet",
    "ProviderRequest",
    "SandboxCall",
    "SandboxConfig",
    "SandboxRecord",
    "UserProfile",
    "VendorKind",
    "WorkerHeartbeat",
    "WorkerHeartbeatQuerySet",
    "_fernet",
    "active_admins",
    "assign_role",
    "bucket_of",
    "dashboard_figures",
    "lock_active_admins",
    "reversed_digits",
    "user_change_problems",
]
