"""The admin audit log: what is recorded, by whom and from where, and who may read it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from matchmaker.models import ApiToken, AuditEntry, Organisation, User
from matchmaker.models.types import utcnow
from matchmaker.services import audit
from matchmaker.services.accounts import hash_token


def _entries(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _add_entries(make, count: int, action: str = "organisation.approved") -> None:
    """Entries an hour apart, oldest first, numbered in their details."""
    start = utcnow() - timedelta(hours=count)
    for n in range(count):
        make.db.add(AuditEntry(action=action, actor_label="Admin <a@example.org>", details={"n": n},
                               created_at=start + timedelta(hours=n)))
    make.db.commit()


def test_approving_an_organisation_is_recorded_with_admin_and_address(client, auth, make, db):
    admin = make.user(is_admin=True, name="Ada Admin")
    pending = make.organisation("supplier", approved=False, name="Sensor AS")
    auth.login(admin)
    assert client.post(f"/admin/organisations/{pending.id}/approve").status_code == 302
    [entry] = _entries(db, "organisation.approved")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "organisations", pending.id)
    assert entry.actor_label == f"Ada Admin <{admin.email}>"
    assert entry.details == {"name": "Sensor AS"}
    assert entry.ip_address == "127.0.0.1"


def test_approving_twice_records_once(client, auth, make, db):
    admin = make.user(is_admin=True)
    pending = make.organisation("supplier", approved=False)
    auth.login(admin)
    client.post(f"/admin/organisations/{pending.id}/approve")
    client.post(f"/admin/organisations/{pending.id}/approve")
    assert len(_entries(db, "organisation.approved")) == 1
    assert db.get(Organisation, pending.id).is_approved


def test_a_refused_approval_records_nothing(client, auth, make, db):
    pending = make.organisation("supplier", approved=False)
    auth.login(make.user(kind="supplier"))
    assert client.post(f"/admin/organisations/{pending.id}/approve").status_code == 403
    assert _entries(db, "organisation.approved") == []


def test_creating_a_user_on_the_command_line_is_recorded(app, db):
    result = app.test_cli_runner().invoke(args=["users", "create", "new.admin@example.org", "--name", "New Admin",
                                                "--password", "a-long-password", "--admin"])
    assert result.exit_code == 0, result.output
    [entry] = _entries(db, "user.created")
    user = db.scalar(select(User).where(User.email == "new.admin@example.org"))
    assert (entry.actor_id, entry.actor_label, entry.ip_address) == (None, "", None)
    assert (entry.target_type, entry.target_id) == ("users", user.id)
    assert entry.details == {"email": "new.admin@example.org", "admin": True}


def test_creating_a_token_on_the_command_line_is_recorded_without_the_token(app, make, db):
    user = make.user()
    result = app.test_cli_runner().invoke(args=["users", "create-token", user.email, "--name", "backup"])
    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[-1]
    [entry] = _entries(db, "token.created")
    assert entry.target_id == user.id
    assert entry.details == {"token_name": "backup", "prefix": plain[:10]}
    stored = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    assert stored is not None
    assert plain not in str(entry.details) and stored.token_hash not in str(entry.details)


def test_a_failed_command_records_nothing(app, make, db):
    make.user(email="taken@example.org")
    result = app.test_cli_runner().invoke(args=["users", "create", "taken@example.org", "--name", "X",
                                                "--password", "a-long-password"])
    assert result.exit_code == 1
    assert _entries(db, "user.created") == []


def test_non_admins_may_not_read_the_log(client, auth, make):
    assert client.get("/admin/audit").status_code == 302  # to sign-in
    auth.login(make.user(kind="clinical_department"))
    assert client.get("/admin/audit").status_code == 403


def test_the_log_lists_newest_first_and_pages(client, auth, make):
    _add_entries(make, 55)
    auth.login(make.user(is_admin=True))
    first = client.get("/admin/audit").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r"<small>n: (\d+)</small>", first)]
    assert numbers == list(range(54, 4, -1))
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert [int(n) for n in re.findall(r"<small>n: (\d+)</small>", second)] == [4, 3, 2, 1, 0]
    assert "Page 2 of 2" in second


def test_the_log_filters_by_action(client, auth, make):
    _add_entries(make, 2, "organisation.approved")
    _add_entries(make, 3, "account.deleted")
    auth.login(make.user(is_admin=True))
    page = client.get("/admin/audit?action=account.deleted").get_data(as_text=True)
    assert page.count("Admin deleted their own account") == 3
    assert "approved the organisation" not in page
    assert '<option value="account.deleted" selected>' in page


def test_a_deleted_actor_is_still_named(client, auth, make, db):
    admin = make.user(is_admin=True, name="Gone Admin")
    make.db.add(AuditEntry(action="organisation.approved", actor_id=None, actor_label="Gone Admin <g@example.org>",
                           details={}))
    make.db.commit()
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Gone Admin (account deleted) approved the organisation" in page


def test_the_admin_page_links_to_the_log(client, auth, make):
    auth.login(make.user(is_admin=True))
    assert 'href="/admin/audit"' in client.get("/admin/organisations").get_data(as_text=True)


def test_record_outside_a_request_has_no_address(app, make, db):
    admin = make.user(is_admin=True)
    with app.app_context():
        entry = audit.record(db, admin, "organisation.approved", admin.organisation, reason="test")
    assert entry.ip_address is None and entry.target_type is None and entry.details == {"reason": "test"}
