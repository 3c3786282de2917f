"""Campaigns follow their account's IVR catalogue when an admin corrects an id.

A MyOperator IVR id is typed by an admin (the vendor's API lists none), so the usual fix
for "Provide valid public_ivr_id" is to correct the id on the account page. Campaigns
not yet finished that use the old id take the new one, so Resume dials with it and the
supervisor has nothing else to edit. An entry is matched by its name; failing that, one
id removed and one added in the same save are the same IVR."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from telephony.models import ProviderAccount

UNFINISHED = ("draft", "scheduled", "running", "paused")


def ivr_renames(before: list[dict], after: list[dict]) -> dict[str, str]:
    """{old id: new id} for the entries whose id changed between two catalogues."""
    old_ids = {ivr["id"] for ivr in before}
    new_ids = {ivr["id"] for ivr in after}
    removed = [ivr for ivr in before if ivr["id"] not in new_ids]
    added = [ivr for ivr in after if ivr["id"] not in old_ids]
    renames = {}
    for gone in removed:
        same_name = [ivr for ivr in added if gone["name"] and ivr["name"] == gone["name"]]
        if len(same_name) == 1:
            renames[gone["id"]] = same_name[0]["id"]
    left = [ivr for ivr in removed if ivr["id"] not in renames]
    fresh = [ivr for ivr in added if ivr["id"] not in renames.values()]
    if len(left) == 1 and len(fresh) == 1:
        renames[left[0]["id"]] = fresh[0]["id"]
    return renames


@receiver(pre_save, sender=ProviderAccount, dispatch_uid="campaigns-ivr-catalogue-before")
def note_ivr_renames(sender, instance, raw=False, **kwargs):
    instance._ivr_renames = {}
    if raw or instance.pk is None:
        return
    stored = ProviderAccount.objects.filter(pk=instance.pk).first()
    if stored is not None:
        instance._ivr_renames = ivr_renames(stored.ivr_catalogue, instance.ivr_catalogue)


@receiver(post_save, sender=ProviderAccount, dispatch_uid="campaigns-ivr-catalogue-after")
def follow_ivr_renames(sender, instance, raw=False, **kwargs):
    from .campaigns import Campaign

    for old, new in (getattr(instance, "_ivr_renames", None) or {}).items():
        Campaign.objects.filter(account=instance, ivr_id=old, state__in=UNFINISHED).update(
            ivr_id=new
        )
