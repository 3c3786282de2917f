"""The vendor simulators, each under /sandbox/<vendor>/ (only when SANDBOX_ENABLED)."""

from django.urls import include, path

urlpatterns = [
    # path("<vendor>/", include("telephony.vendors.<vendor>.urls")),
    path("oca/", include("telephony.vendors.oca.urls")),
    path("cpaas/", include("telephony.vendors.cpaas.urls")),
    path("myoperator/", include("telephony.vendors.myoperator.urls")),
    path("omilia/", include("telephony.vendors.omilia.urls")),
]

__all__ = ["include", "path", "urlpatterns"]
