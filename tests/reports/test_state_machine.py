"""RELIABILITY goal 8: over any sequence of steps by any actor, only the legal transitions happen
and no submitted version's content hash ever changes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from cbms.models import ProgressReport, ReportState, ReportSubmission
from cbms.reports import (
    ReportStateError,
    content_hash,
    report_accept,
    report_return,
    report_submit,
    report_update_draft,
)

LEGAL = {
    ("edit", ReportState.DRAFT): ReportState.DRAFT,
    ("edit", ReportState.RETURNED): ReportState.RETURNED,
    ("submit", ReportState.DRAFT): ReportState.SUBMITTED,
    ("submit", ReportState.RETURNED): ReportState.SUBMITTED,
    ("accept", ReportState.SUBMITTED): ReportState.ACCEPTED,
    ("return", ReportState.SUBMITTED): ReportState.RETURNED,
}
MAY = {"edit": {"fp_fra"}, "submit": {"fp_fra"}, "accept": {"staff"}, "return": {"staff"}}
ACTORS = st.sampled_from(["fp_fra", "fp_deu", "staff", "analyst"])


def test_report_workflow_state_machine(rw):
    class ReportMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.report = rw.start(narrative="start")
            self.state = ReportState.DRAFT
            self.hashes: dict[int, str] = {}

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _step(self, kind, who, call):
            before = self.state
            allowed = who in MAY[kind] and (kind, before) in LEGAL
            try:
                with transaction.atomic():
                    call(getattr(rw, who))
            except (ReportStateError, PermissionDenied, ValidationError):
                assert not allowed, (kind, who, before)
            else:
                assert allowed, (kind, who, before)
                self.state = LEGAL[(kind, before)]
            stored = ProgressReport.objects.get(pk=self.report.pk).state
            assert stored == self.state

        @rule(who=ACTORS, text=st.text(max_size=20))
        def edit(self, who, text):
            self._step(
                "edit",
                who,
                lambda actor: report_update_draft(report=self.report, actor=actor, narrative=text),
            )

        @rule(who=ACTORS)
        def submit(self, who):
            self._step("submit", who, lambda a: report_submit(report=self.report, actor=a))
            for version in self.report.submissions.all():
                self.hashes.setdefault(version.pk, version.content_hash)

        @rule(who=ACTORS)
        def accept(self, who):
            self._step("accept", who, lambda a: report_accept(report=self.report, actor=a))

        @rule(who=ACTORS, comment=st.sampled_from(["", "Needs figures."]))
        def return_(self, who, comment):
            def call(actor):
                report_return(report=self.report, actor=actor, comment=comment)

            if not comment and who in MAY["return"] and self.state == ReportState.SUBMITTED:
                with pytest.raises(ValidationError), transaction.atomic():
                    call(getattr(rw, who))
                return
            self._step("return", who, call)

        @invariant()
        def versions_are_frozen(self):
            for version in ReportSubmission.objects.filter(report=self.report):
                assert self.hashes.get(version.pk, version.content_hash) == version.content_hash
                assert version.content_hash == content_hash(version.narrative, version.activities)
            numbers = list(
                ReportSubmission.objects.filter(report=self.report).values_list("number", flat=True)
            )
            assert numbers == list(range(1, len(numbers) + 1))

    run_state_machine_as_test(
        ReportMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
