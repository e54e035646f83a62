"""RELIABILITY goal 8: over any sequence of steps by any actor, with a current, a stale or no
version, only the legal transitions happen and no submitted version's content ever changes.

200 examples of up to 50 steps, each step a service call (no HTTP) plus three small queries for
the checks. The legal transitions are the services': draft → submitted, submitted → accepted or
returned, returned → submitted (a returned report is edited as it is, then resubmitted; there is
no way back to draft). Checked on the history table, so a write no rule expected is caught too.
"""

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from cbms.models import ProgressReport, ReportState, ReportSubmission
from cbms.reports.services import (
    ReportChangedError,
    ReportStateError,
    content_hash,
    report_accept,
    report_return,
    report_submit,
    report_update_draft,
)

DRAFT, SUBMITTED, ACCEPTED, RETURNED = (
    ReportState.DRAFT,
    ReportState.SUBMITTED,
    ReportState.ACCEPTED,
    ReportState.RETURNED,
)
# (step, state before) → state after, for the steps the state allows.
LEGAL = {
    ("edit", DRAFT): DRAFT,
    ("edit", RETURNED): RETURNED,
    ("submit", DRAFT): SUBMITTED,
    ("submit", RETURNED): SUBMITTED,
    ("accept", SUBMITTED): ACCEPTED,
    ("return", SUBMITTED): RETURNED,
}
TRANSITIONS = {
    (DRAFT, SUBMITTED),
    (RETURNED, SUBMITTED),
    (SUBMITTED, ACCEPTED),
    (SUBMITTED, RETURNED),
}
MAY = {"edit": {"fp_fra"}, "submit": {"fp_fra"}, "accept": {"staff"}, "return": {"staff"}}
ACTORS = st.sampled_from(["fp_fra", "fp_deu", "staff", "analyst"])
# The caller's copy: the current version, an older one (the service must refuse), or no check.
FRESHNESS = st.sampled_from(["current", "stale", "unchecked"])
TEXT = st.text(max_size=20)  # includes "\x00" at times: refused as bad input, never a 500
STATUSES = st.sampled_from(["not_started", "in_progress", "completed", "delayed", "cancelled"])
UPDATES = st.none() | st.dictionaries(
    st.sampled_from([0, 1]), st.tuples(STATUSES, st.integers(0, 100), TEXT), max_size=2
)

EXAMPLES, STEPS = 200, 50


def test_report_workflow_state_machine(rw):
    plan = {a.pk: a.priority_area.plan_id for a in rw.activities}
    counts = {"examples": 0, "steps": 0}

    class ReportMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            counts["examples"] += 1
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.report = rw.start(narrative="start")
            # The model: what the database must hold.
            self.state, self.version = DRAFT, 1
            self.narrative, self.activities = "start", {}
            self.hashes: list[str] = []  # the content hash each submission must keep
            self.seen_history, self.seen_state = 0, None

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _expected_error(self, kind, who, freshness, bad_input=False):
            if who not in MAY[kind]:
                return PermissionDenied
            if freshness == "stale":
                return ReportChangedError
            if (kind, self.state) not in LEGAL:
                return ReportStateError
            if bad_input:
                return ValidationError
            return None

        def _step(self, kind, who, freshness, call, bad_input=False):
            counts["steps"] += 1
            expected = self._expected_error(kind, who, freshness, bad_input)
            version = {
                "current": self.version,
                "stale": self.version - 1,
                "unchecked": None,
            }[freshness]
            try:
                call(getattr(rw, who), version)
            except (PermissionDenied, ReportChangedError, ReportStateError, ValidationError) as exc:
                assert expected is not None and isinstance(exc, expected), (kind, who, exc)
                succeeded = False
            else:
                assert expected is None, (kind, who, freshness, self.state)
                self.state = LEGAL[(kind, self.state)]
                self.version += 1
                succeeded = True
            stored = ProgressReport.objects.values_list("state", "version").get(pk=self.report.pk)
            assert stored == (self.state, self.version), (kind, who, freshness)
            return succeeded

        @rule(who=ACTORS, freshness=FRESHNESS, text=TEXT, updates=UPDATES)
        def edit(self, who, freshness, text, updates):
            activities = None
            if updates is not None:
                activities = [
                    {"activity": rw.activities[i].pk, "status": s, "percent": p, "note": n}
                    for i, (s, p, n) in updates.items()
                ]
            bad = "\x00" in text or any("\x00" in n for _, _, n in (updates or {}).values())
            done = self._step(
                "edit",
                who,
                freshness,
                lambda actor, version: report_update_draft(
                    report=self.report,
                    actor=actor,
                    narrative=text,
                    activities=activities,
                    expected_version=version,
                ),
                bad_input=bad,
            )
            if done:
                self.narrative = text
                if activities is not None:
                    self.activities = {a["activity"]: a for a in activities}

        @rule(who=ACTORS, freshness=FRESHNESS)
        def submit(self, who, freshness):
            done = self._step(
                "submit",
                who,
                freshness,
                lambda actor, version: report_submit(
                    report=self.report, actor=actor, expected_version=version
                ),
            )
            if done:
                content = [
                    {**{k: a[k] for k in ("activity", "status", "percent", "note")}}
                    | {"plan_version": plan[a["activity"]]}
                    for _, a in sorted(self.activities.items())
                ]
                self.hashes.append(content_hash(self.narrative, content))

        @rule(who=ACTORS, freshness=FRESHNESS, comment=st.sampled_from(["", "Fine."]))
        def accept(self, who, freshness, comment):
            self._step(
                "accept",
                who,
                freshness,
                lambda actor, version: report_accept(
                    report=self.report, actor=actor, comment=comment, expected_version=version
                ),
            )

        @rule(who=ACTORS, freshness=FRESHNESS, comment=st.sampled_from(["", " ", "Needs figures."]))
        def return_(self, who, freshness, comment):
            self._step(
                "return",
                who,
                freshness,
                lambda actor, version: report_return(
                    report=self.report, actor=actor, comment=comment, expected_version=version
                ),
                bad_input=not comment.strip(),
            )

        @invariant()
        def only_legal_transitions(self):
            """Every state change the history table recorded is one of the four."""
            rows = list(
                ProgressReport.history.filter(id=self.report.pk, history_id__gt=self.seen_history)
                .order_by("history_id")
                .values_list("history_id", "state")
            )
            for history_id, state in rows:
                before = self.seen_state
                assert before is None or before == state or (before, state) in TRANSITIONS, (
                    before,
                    state,
                )
                self.seen_history, self.seen_state = history_id, state

        @invariant()
        def versions_are_frozen(self):
            """Numbered 1..n, one per successful submit, each with the content it was submitted
            with and a hash that matches that content."""
            versions = list(
                ReportSubmission.objects.filter(report=self.report)
                .order_by("number")
                .values_list("number", "content_hash", "narrative", "activities")
            )
            assert [v[0] for v in versions] == list(range(1, len(self.hashes) + 1))
            for (_number, stored, narrative, activities), expected in zip(
                versions, self.hashes, strict=True
            ):
                assert stored == expected == content_hash(narrative, activities)

    started = time.monotonic()
    run_state_machine_as_test(
        ReportMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    elapsed = time.monotonic() - started
    print(
        f"\nstate machine: {counts['examples']} examples, {counts['steps']} steps "
        f"in {elapsed:.1f} s ({1000 * elapsed / max(counts['steps'], 1):.1f} ms a step)"
    )
    assert counts["examples"] >= EXAMPLES


@pytest.mark.parametrize("text", ["a\x00b"])
def test_nul_in_text_is_a_validation_error(rw, text):
    """What the machine found: PostgreSQL refuses NUL, so the services refuse it first."""
    report = rw.start()
    with pytest.raises(ValidationError) as exc:
        report_update_draft(report=report, actor=rw.fp_fra, narrative=text)
    assert "narrative" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        report_update_draft(
            report=report,
            actor=rw.fp_fra,
            activities=[
                {"activity": rw.activities[0].pk, "status": "delayed", "percent": 1, "note": text}
            ],
        )
    assert "activities" in exc.value.message_dict
    report = report_submit(report=report, actor=rw.fp_fra)
    with pytest.raises(ValidationError) as exc:
        report_return(report=report, actor=rw.staff, comment=text)
    assert "comment" in exc.value.message_dict
