"""The MyOperator simulator under /sandbox/myoperator/: the OBD endpoint, the REST API
under api/ (developers.myoperator.co), and the audio behind recording links."""

from django.urls import path

from . import sandbox, sandbox_rest

urlpatterns = [
    path("obd-api-v1", sandbox.obd_call, name="myoperator-obd"),
    path("api/search", sandbox_rest.search, name="myoperator-search"),
    path("api/filters", sandbox_rest.filters, name="myoperator-filters"),
    path("api/user", sandbox_rest.user, name="myoperator-user"),
    path("api/clickOcall", sandbox_rest.click_to_call, name="myoperator-click-to-call"),
    path("api/recordings/link", sandbox_rest.recording_link, name="myoperator-recording-link"),
    # Everything else under the REST host, e.g. the Postman collection's /search/user.
    path("api/<path:rest>", sandbox_rest.unknown_method, name="myoperator-unknown-method"),
    path("audio", sandbox_rest.recording_file, name="myoperator-recording-file"),
]
