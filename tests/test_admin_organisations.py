"""The administrator's list of organisations: searching, filtering, who registered a pending one,
approving and declining with a reason, and the audit log telling it in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker.models import AuditEntry, Organisation
from matchmaker.models.types import utcnow


def listing(client, **query) -> str:
    response = client.get("/admin/organisations", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def stored(db, organisation) -> Organisation:
    db.expire_all()
    return db.get(Organisation, organisation.id)


@pytest.fixture
def admin(make):
    return make.user(is_admin=True, name="Ada Admin")


def test_search_finds_organisations_by_any_part_of_their_name_whatever_the_case(client, auth, make, admin):
    make.organisation("health_trust", name="Tindra Helse AS")
    make.organisation("supplier", name="Ørn Medtech")
    make.organisation("supplier", name="Sensor AS")
    auth.login(admin)
    page = listing(client, q="helse")
    assert "Tindra Helse AS" in page and "Sensor AS" not in page
    assert "Ørn Medtech" in listing(client, q="øRN") and "Tindra" not in listing(client, q="ørn")
    assert "No organisation matches." in listing(client, q="nothing like it")


def test_the_filter_shows_pending_approved_or_declined(client, auth, make, admin):
    make.organisation("supplier", name="Approved AS")
    make.organisation("supplier", approved=False, name="Waiting AS")
    make.organisation("supplier", approved=False, name="Refused AS", declined_at=utcnow(), decline_reason="Spam")
    auth.login(admin)
    pending = listing(client, state="pending")
    assert "Waiting AS" in pending and "Approved AS" not in pending and "Refused AS" not in pending
    declined = listing(client, state="declined")
    assert "Refused AS" in declined and "Spam" in declined and "Waiting AS" not in declined
    assert "Approved AS" in listing(client, state="approved")
    everything = listing(client)
    assert everything.index("Waiting AS") < everything.index("Approved AS")  # pending ones first


def test_a_pending_organisation_shows_who_registered_it_and_when(client, auth, make, admin):
    pending = make.organisation("supplier", approved=False, name="Fresh Start AS",
                                created_at=utcnow() - timedelta(days=2))
    make.user(pending, name="Frida First", email="frida@fresh.example")
    make.user(pending, name="Sam Second", email="sam@fresh.example")
    auth.login(admin)
    row = listing(client, state="pending")
    row = row[row.index(f'id="organisation-{pending.id}"'):]
    row = row[:row.index("</tr>")]
    assert "Frida First" in row and "frida@fresh.example" in row and "Sam Second" not in row
    assert "Registered" in row and "Decline Fresh Start AS" in row and "Approve" in row


def test_decline_with_a_reason_is_stored_and_audited(client, auth, make, admin, db):
    pending = make.organisation("supplier", approved=False, name="Tindra Helse AS")
    auth.login(admin)
    response = client.post(f"/admin/organisations/{pending.id}/decline", data={"reason": "  Not a health company.  "})
    assert response.status_code == 302
    declined = stored(db, pending)
    assert declined.is_declined and not declined.is_approved
    assert (declined.decline_reason, declined.declined_by_id) == ("Not a health company.", admin.id)
    assert declined.declined_at is not None
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "organisation.declined")).all()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "organisations", pending.id)
    assert entry.details == {"name": "Tindra Helse AS", "reason": "Not a health company."}
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "Ada Admin declined the organisation Tindra Helse AS: Not a health company." in log
    assert "Tindra Helse AS" not in listing(client, state="pending")
    assert "by Ada Admin: Not a health company." in listing(client, state="declined")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_decline_without_a_usable_reason_is_a_form_error_and_changes_nothing(client, auth, make, admin, db, reason):
    pending = make.organisation("supplier", approved=False, name="Waiting AS")
    auth.login(admin)
    response = client.post(f"/admin/organisations/{pending.id}/decline", data={"reason": reason})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page and "<details class=\"decline\" open>" in page
    assert not stored(db, pending).is_declined
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.declined")) is None


@pytest.mark.parametrize("kind", ["supplier", "clinical_department", "funding_agency", "arena_organiser"])
def test_only_administrators_decline(client, auth, make, db, kind):
    pending = make.organisation("supplier", approved=False)
    auth.login(make.user(kind=kind))
    assert client.post(f"/admin/organisations/{pending.id}/decline", data={"reason": "Because"}).status_code == 403
    assert not stored(db, pending).is_declined
    assert client.get("/admin/organisations").status_code == 403


def test_an_approved_organisation_cannot_be_declined(client, auth, make, admin, db):
    approved = make.organisation("supplier", name="Approved AS")
    auth.login(admin)
    assert client.post(f"/admin/organisations/{approved.id}/decline", data={"reason": "Late"}).status_code == 409
    assert stored(db, approved).is_approved and not stored(db, approved).is_declined


def test_approving_a_declined_organisation_clears_the_refusal(client, auth, make, admin, db):
    refused = make.organisation("supplier", approved=False, declined_at=utcnow(), decline_reason="Spam")
    auth.login(admin)
    assert client.post(f"/admin/organisations/{refused.id}/approve").status_code == 302
    organisation = stored(db, refused)
    assert organisation.is_approved and not organisation.is_declined and organisation.decline_reason is None


def test_declined_members_sign_in_and_read_the_reason(client, auth, make, admin):
    pending = make.organisation("supplier", approved=False, name="Doubtful AS")
    member = make.user(pending)
    auth.login(admin)
    client.post(f"/admin/organisations/{pending.id}/decline", data={"reason": "No organisation number given."})
    response = auth.login(member)
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "An administrator declined Doubtful AS" in page and "No organisation number given." in page


def test_the_reason_is_escaped(client, auth, make, admin):
    pending = make.organisation("supplier", approved=False)
    member = make.user(pending)
    auth.login(admin)
    client.post(f"/admin/organisations/{pending.id}/decline", data={"reason": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in listing(client, state="declined")
    auth.login(member)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


# --- the audit log in words -------------------------------------------------------------------------

def test_the_audit_log_names_actor_and_target(client, auth, make, admin):
    pending = make.organisation("health_trust", approved=False, name="Tindra Helse AS")
    auth.login(admin)
    client.post(f"/admin/organisations/{pending.id}/approve")
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "Ada Admin approved the organisation Tindra Helse AS" in log
    assert "organisations #" not in log


def test_a_deleted_target_is_named_from_the_entry_or_by_its_number(client, auth, make, admin):
    make.db.add_all([
        AuditEntry(action="organisation.approved", actor_id=admin.id, actor_label="Ada Admin <a@example.org>",
                   target_type="organisations", target_id=987654, details={"name": "Gone AS"}),
        AuditEntry(action="organisation.approved", actor_id=admin.id, actor_label="Ada Admin <a@example.org>",
                   target_type="organisations", target_id=987655, details={}),
    ])
    make.db.commit()
    auth.login(admin)
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "Ada Admin approved the organisation Gone AS (deleted)" in log
    assert "Ada Admin approved the organisation #987655 (deleted)" in log


def test_command_line_entries_read_as_sentences(app, client, auth, make, admin):
    result = app.test_cli_runner().invoke(args=["users", "create", "kari@example.org", "--name", "Kari Nordmann",
                                                "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    auth.login(admin)
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "The account Kari Nordmann was created on the command line" in log


def test_the_audit_log_looks_names_up_in_batch(client, auth, make, admin, engine):
    from sqlalchemy import event

    for n in range(10):
        organisation = make.organisation("supplier", approved=False, name=f"Batch {n} AS")
        make.db.add(AuditEntry(action="organisation.approved", actor_id=admin.id, actor_label="Ada Admin <a@x.org>",
                               target_type="organisations", target_id=organisation.id, details={}))
    make.db.commit()
    auth.login(admin)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        log = client.get("/admin/audit").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert log.count("Ada Admin approved the organisation Batch") == 10
    assert sum("FROM organisations" in s for s in statements) <= 2, statements
