"""Plumbing only: an edit that can change obligations asks for their re-evaluation.

Saves come from the admin, the API and the browser alike, so the request is made here once
rather than in every view; the work itself is in cbms.compliance.services.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from conferences.models import Article, Meeting, MeetingKind, MinisterialConference

from ..models import CBM, CBMRole, RoleKind
from .invitations import invitations_record, invitations_record_deleted
from .services import all_cbm_ids, compliance_recompute_request


@receiver(pre_save, sender=Meeting)
def _remember_previous_cbm(sender, instance: Meeting, **kwargs):
    instance._previous_cbm_id = (
        Meeting.objects.filter(pk=instance.pk).values_list("cbm_id", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Meeting)
@receiver(post_delete, sender=Meeting)
def _meeting_changed(sender, instance: Meeting, **kwargs):
    touched = {instance.cbm_id, getattr(instance, "_previous_cbm_id", None)} - {None}
    if instance.kind == MeetingKind.RTG or touched:
        compliance_recompute_request(cbm_ids=touched)


@receiver(post_save, sender=CBMRole)
@receiver(post_delete, sender=CBMRole)
def _leadership_changed(sender, instance: CBMRole, **kwargs):
    if instance.role == RoleKind.LEAD:
        compliance_recompute_request(cbm_ids=[instance.cbm_id])


@receiver(post_save, sender=CBM)
def _cbm_saved(sender, instance: CBM, **kwargs):
    compliance_recompute_request(cbm_ids=[instance.pk])


@receiver(post_save, sender=MinisterialConference)
@receiver(post_delete, sender=MinisterialConference)
@receiver(post_save, sender=Article)
@receiver(post_delete, sender=Article)
def _timeline_changed(sender, **kwargs):
    # A conference or the rule moves every CBM's cycles; a new held conference opens a cycle.
    compliance_recompute_request(cbm_ids=all_cbm_ids())


# --- RTG invitations (cbms.compliance.invitations) ----------------------------------------------


@receiver(post_save, sender=Meeting)
def _meeting_invitations(sender, instance: Meeting, created: bool, raw: bool = False, **kwargs):
    # A meeting that is not and was not an RTG (an RTG always has a CBM) invites no one.
    was_rtg = getattr(instance, "_previous_cbm_id", None) is not None
    if raw or (instance.kind != MeetingKind.RTG and not was_rtg):
        return
    invitations_record(meeting=instance, created=created)


@receiver(post_delete, sender=Meeting)
def _meeting_invitations_deleted(sender, instance: Meeting, **kwargs):
    if instance.kind == MeetingKind.RTG:
        invitations_record_deleted(meeting=instance)
