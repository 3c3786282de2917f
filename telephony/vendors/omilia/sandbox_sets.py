"""The Omilia simulator's numbers-set endpoints (handlers like sandbox_numbers'): set
CRUD, membership, and attaching/detaching/deleting a set's numbers. A number belongs to
at most one set (its record's `parent`), and a set to one group."""

import uuid

from django.http import JsonResponse

from telephony.models import SandboxRecord

from . import sandbox_state as state
from .sandbox_numbers import (
    ApiError,
    Rules,
    attach_all,
    attach_request,
    found,
    json_body,
    member_of,
    ok,
    plural,
    save,
    set_or_404,
)
from .sandbox_state import VENDOR


def list_sets(request, ctx):
    return JsonResponse([state.set_shape(rec) for rec in state.visible_sets(ctx)], safe=False)


def _unique_name(ctx, name, group, exclude=""):
    clash = [
        rec
        for rec in state.sets_qs(ctx.region).exclude(key=exclude)
        if rec.data.get("groupId") == group and rec.data.get("name") == name
    ]
    if clash:
        raise ApiError(409, f"A phone numbers set named {name} already exists in group {group}")


def create_set(request, ctx):
    body = json_body(request)
    rules = Rules(body)
    rules.not_blank("name", "groupId")
    rules.done()
    member_of(ctx, body["groupId"])
    _unique_name(ctx, body["name"], body["groupId"])
    rec = SandboxRecord.objects.create(
        vendor=VENDOR,
        kind="numbers_set",
        tenant=ctx.region,
        key=str(uuid.uuid4()),
        data={"name": body["name"], "groupId": body["groupId"]},
    )
    return JsonResponse(state.set_shape(rec))


def sets_for_group(request, ctx, group_id):
    member_of(ctx, group_id)
    records = [rec for rec in state.visible_sets(ctx) if rec.data["groupId"] == group_id]
    return JsonResponse([state.set_shape(rec) for rec in records], safe=False)


def get_set(request, ctx, set_id):
    return JsonResponse(state.set_shape(set_or_404(ctx, set_id)))


def update_set(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    body = json_body(request)
    rules = Rules(body)
    for name in ("groupId", "name"):
        if name in body:
            rules.not_blank(name)
    rules.done()
    name = body.get("name") or rec.data["name"]
    group = body.get("groupId") or rec.data["groupId"]
    member_of(ctx, group)
    _unique_name(ctx, name, group, exclude=rec.key)
    if group != rec.data["groupId"]:
        # The set's numbers follow it to the new group.
        members = list(state.numbers_qs(ctx.region).filter(parent=rec.key))
        for member in members:
            member.data["groupId"] = group
        save(members)
    rec.data.update(name=name, groupId=group)
    save([rec])
    return ok(f"Phone numbers set {name} updated")


def delete_set(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    state.numbers_qs(ctx.region).filter(parent=rec.key).update(parent="")
    rec.delete()
    return ok(f"Phone numbers set {rec.data['name']} deleted")


def set_numbers(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    members = state.numbers_qs(ctx.region).filter(parent=rec.key)
    return JsonResponse([state.search_shape(member) for member in members], safe=False)


def add_to_set(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    body = json_body(request)
    rules = Rules(body)
    rules.not_empty_list("numbers")
    rules.done()
    records = found(ctx, body["numbers"])
    names = state.set_names(ctx.region)
    for number, member in records.items():
        if member.data["groupId"] != rec.data["groupId"]:
            raise ApiError(400, f"Phone number {number} is not in group {rec.data['groupId']}")
        if member.parent and member.parent != rec.key:
            other = names.get(member.parent, member.parent)
            raise ApiError(409, f"Phone number {number} already belongs to set {other}")
    added = [member for member in records.values() if member.parent != rec.key]
    for member in added:
        member.parent = rec.key
    save(added)
    return ok(f"{plural(len(added))} added to set {rec.data['name']}")


def remove_from_set(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    body = json_body(request)
    rules = Rules(body)
    rules.not_empty_list("numbers")
    rules.done()
    members = {m.key: m for m in state.numbers_qs(ctx.region).filter(parent=rec.key)}
    outside = [n for n in body["numbers"] if n not in members]
    if outside:
        raise ApiError(404, f"Phone numbers not in set {rec.data['name']}: {', '.join(outside)}")
    removed = [members[n] for n in body["numbers"]]
    for member in removed:
        member.parent = ""
    save(removed)
    return ok(f"{plural(len(removed))} removed from set {rec.data['name']}")


def attach_set(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    body, app = attach_request(request, ctx)
    members = {m.key: m for m in state.numbers_qs(ctx.region).filter(parent=rec.key)}
    wanted = body.get("numbers")
    if wanted:
        outside = [n for n in wanted if n not in members]
        if outside:
            raise ApiError(
                400, f"Phone numbers not in set {rec.data['name']}: {', '.join(outside)}"
            )
        records = [members[n] for n in wanted]
    else:
        records = list(members.values())
    if not records:
        return ok(f"The set {rec.data['name']} has no numbers to attach", success=False)
    return attach_all(records, app, body, label=f" (set {rec.data['name']})")


def detach_set(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    attached = [
        m for m in state.numbers_qs(ctx.region).filter(parent=rec.key) if m.data.get("miniAppId")
    ]
    if not attached:
        return ok(f"No number of the set {rec.data['name']} is attached to a miniApp", False)
    for member in attached:
        state.detach(member)
    save(attached)
    return ok(f"{plural(len(attached))} of set {rec.data['name']} detached")


def delete_purchased(request, ctx, set_id):
    rec = set_or_404(ctx, set_id)
    bought = [
        m for m in state.numbers_qs(ctx.region).filter(parent=rec.key) if m.data.get("purchased")
    ]
    if not bought:
        return ok(f"The set {rec.data['name']} has no purchased numbers", success=False)
    for member in bought:
        member.delete()
    return ok(f"{plural(len(bought), 'purchased number')} of set {rec.data['name']} deleted")
