"""The phone-number-sets half of the Omilia client (a mixin of OmiliaClient): set CRUD,
membership, and attaching/detaching/deleting a set's numbers."""

from collections.abc import Sequence
from urllib.parse import quote

from ..http import VendorResponse
from .records import NumberSet, OmiliaNumber, OperationResult
from .validation import Checks, drop_none


class NumberSetsAPI:
    """Every numbers-set endpoint of the seed document. Needs OmiliaClient's `_api`,
    `_result` and `_malformed`."""

    def _number_list(self, response: VendorResponse) -> list[OmiliaNumber]:
        if not isinstance(response.data, list):
            raise self._malformed("a list of numbers", response)
        return [OmiliaNumber.from_vendor(record) for record in response.data]

    def _set_list(self, response: VendorResponse) -> list[NumberSet]:
        data = response.data
        # The document shows one object for "sets for group"; a list is what the name
        # says and what the user-sets endpoint returns: accept both.
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise self._malformed("a list of numbers sets", response)
        return [NumberSet.from_vendor(record) for record in data]

    @staticmethod
    def _set_path(set_id: str, suffix: str = "") -> str:
        return f"/api/numbers-set/{quote(str(set_id), safe='')}{suffix}"

    # --- managing phone numbers sets -------------------------------------------------

    def create_set(self, *, name: str, group_id: str) -> NumberSet:
        """POST /api/numbers-set."""
        checks = Checks()
        checks.required("name", name)
        checks.required("group_id", group_id)
        checks.done()
        response = self._api(
            "POST",
            "/api/numbers-set",
            endpoint="/api/numbers-set",
            json_body={"name": name, "groupId": group_id},
        )
        return NumberSet.from_vendor(response.data)

    def get_set(self, *, set_id: str) -> NumberSet:
        """GET /api/numbers-set/{setId}."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.done()
        response = self._api("GET", self._set_path(set_id), endpoint="/api/numbers-set/{setId}")
        return NumberSet.from_vendor(response.data)

    def sets_for_group(self, *, group_id: str) -> list[NumberSet]:
        """GET /api/numbers-set/group/{groupId}."""
        checks = Checks()
        checks.identifier("group_id", group_id)
        checks.done()
        response = self._api(
            "GET",
            f"/api/numbers-set/group/{quote(group_id, safe='')}",
            endpoint="/api/numbers-set/group/{groupId}",
        )
        return self._set_list(response)

    def update_set(
        self, *, set_id: str, name: str | None = None, group_id: str | None = None
    ) -> OperationResult:
        """PATCH /api/numbers-set/{setId}: rename a set or move it to another group."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        if name is None and group_id is None:
            checks.fail("__all__", "Give a new name, a new group or both.")
        for label, value in (("name", name), ("group_id", group_id)):
            if value is not None:
                checks.required(label, value)
        checks.done()
        response = self._api(
            "PATCH",
            self._set_path(set_id),
            endpoint="/api/numbers-set/{setId}",
            json_body=drop_none({"groupId": group_id, "name": name}),
            # Sets fields to given values: repeating it changes nothing more.
            idempotent=True,
        )
        return self._result(response)

    def set_numbers(self, *, set_id: str) -> list[OmiliaNumber]:
        """GET /api/numbers-set/{setId}/numbers."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.done()
        response = self._api(
            "GET", self._set_path(set_id, "/numbers"), endpoint="/api/numbers-set/{setId}/numbers"
        )
        return self._number_list(response)

    def list_sets(self) -> list[NumberSet]:
        """GET /api/numbers-set: the sets of the current user."""
        response = self._api("GET", "/api/numbers-set", endpoint="/api/numbers-set")
        return self._set_list(response)

    def add_numbers_to_set(self, *, set_id: str, numbers: Sequence[str]) -> OperationResult:
        """POST /api/numbers-set/{setId}/numbers."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.numbers("numbers", numbers)
        checks.done()
        response = self._api(
            "POST",
            self._set_path(set_id, "/numbers"),
            endpoint="/api/numbers-set/{setId}/numbers",
            json_body={"numbers": list(numbers)},
            # Adding a member twice is a no-op: safe to retry.
            idempotent=True,
        )
        return self._result(response)

    def attach_set(
        self,
        *,
        set_id: str,
        mini_app_id: str,
        locale: str,
        numbers: Sequence[str] | None = None,
        application_tag: str | None = None,
    ) -> OperationResult:
        """PUT /api/numbers-set/{setId}/attach: route the set's numbers (all of them, or
        the ones listed) to a miniApp."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.numbers("numbers", numbers, required=False)
        checks.required("mini_app_id", mini_app_id)
        checks.locale("locale", locale, required=True)
        checks.done()
        body = drop_none(
            {
                "numbers": list(numbers) if numbers is not None else None,
                "miniAppId": mini_app_id,
                "locale": locale,
                "applicationTag": application_tag,
            }
        )
        response = self._api(
            "PUT",
            self._set_path(set_id, "/attach"),
            endpoint="/api/numbers-set/{setId}/attach",
            json_body=body,
        )
        return self._result(response)

    def detach_set(self, *, set_id: str) -> OperationResult:
        """PUT /api/numbers-set/{setId}/detach: detach every number of the set."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.done()
        response = self._api(
            "PUT", self._set_path(set_id, "/detach"), endpoint="/api/numbers-set/{setId}/detach"
        )
        return self._result(response)

    def remove_numbers_from_set(self, *, set_id: str, numbers: Sequence[str]) -> OperationResult:
        """DELETE /api/numbers-set/{setId}/numbers (with a JSON body)."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.numbers("numbers", numbers)
        checks.done()
        response = self._api(
            "DELETE",
            self._set_path(set_id, "/numbers"),
            endpoint="/api/numbers-set/{setId}/numbers",
            json_body={"numbers": list(numbers)},
        )
        return self._result(response)

    def delete_purchased_numbers_in_set(self, *, set_id: str) -> OperationResult:
        """DELETE /api/numbers-set/{setId}/delete: release the set's purchased numbers."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.done()
        response = self._api(
            "DELETE", self._set_path(set_id, "/delete"), endpoint="/api/numbers-set/{setId}/delete"
        )
        return self._result(response)

    def delete_set(self, *, set_id: str) -> OperationResult:
        """DELETE /api/numbers-set/{setId}."""
        checks = Checks()
        checks.identifier("set_id", set_id)
        checks.done()
        response = self._api("DELETE", self._set_path(set_id), endpoint="/api/numbers-set/{setId}")
        return self._result(response)
