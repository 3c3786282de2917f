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
from .calls import Call
from .cdr import CallRecord
from .sandbox import SandboxCall, SandboxConfig, SandboxRecord

__all__ = [
    "TIME_ZONE_CHOICES",
    "Call",
    "CallRecord",
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
    "dashboard_figures",
    "lock_active_admins",
    "user_change_problems",
]
