"""Who may do what, as a table of role x action, through the web pages and the API.

Another organisation's profile answers 403 (visible) or 404 (hidden), and is never changed."""

from __future__ import annotations

import pytest

from matchmaker.models import Profile

# The owner of the profiles under test is "owner"; the others are strangers to it.
ROLES = ["anonymous", "owner", "colleague_other_dept", "supplier", "funder", "organiser", "admin"]
ROLE_KINDS = {"owner": "clinical_department", "colleague_other_dept": "clinical_department",
              "supplier": "supplier", "funder": "funding_agency", "organiser": "arena_organiser"}

# action -> expected web status per role (need owned by "owner")
WEB_TABLE = {
    "view_published": {"anonymous": 302, "owner": 200, "colleague_other_dept": 200, "supplier": 200,
                       "funder": 200, "organiser": 200, "admin": 200},
    "view_draft": {"anonymous": 302, "owner": 200, "colleague_other_dept": 404, "supplier": 404,
                   "funder": 404, "organiser": 404, "admin": 200},
    "edit_published": {"anonymous": 302, "owner": 302, "colleague_other_dept": 403, "supplier": 403,
                       "funder": 403, "organiser": 403, "admin": 403},
    "edit_draft": {"anonymous": 302, "owner": 302, "colleague_other_dept": 404, "supplier": 404,
                   "funder": 404, "organiser": 404, "admin": 403},
    "archive_published": {"anonymous": 302, "owner": 302, "colleague_other_dept": 403, "supplier": 403,
                          "funder": 403, "organiser": 403, "admin": 403},
    "create_need": {"anonymous": 302, "owner": 302, "colleague_other_dept": 302, "supplier": 403,
                    "funder": 403, "organiser": 403, "admin": 403},
    "create_capability": {"anonymous": 302, "owner": 403, "colleague_other_dept": 403, "supplier": 302,
                          "funder": 403, "organiser": 403, "admin": 403},
}

EDIT_DATA = {"title": "Changed by someone", "description": "A description long enough to be valid.",
             "language": "en", "action": "publish"}
NEW_DATA = {"title": "A new profile", "description": "A description long enough to be valid.",
            "language": "en", "action": "publish"}


@pytest.fixture
def world(make):
    owner_org = make.organisation("clinical_department")
    users = {role: make.user(kind=kind) for role, kind in ROLE_KINDS.items()}
    users["owner"] = make.user(owner_org)
    users["admin"] = make.user(is_admin=True)
    published = make.need(owner_org, title="Published need")
    draft = make.need(owner_org, status="draft", title="Draft need")
    return users, published, draft


def _web_request(client, action, published, draft):
    if action == "view_published":
        return client.get(f"/needs/{published.id}")
    if action == "view_draft":
        return client.get(f"/needs/{draft.id}")
    if action == "edit_published":
        return client.post(f"/needs/{published.id}/edit", data=EDIT_DATA)
    if action == "edit_draft":
        return client.post(f"/needs/{draft.id}/edit", data=EDIT_DATA)
    if action == "archive_published":
        return client.post(f"/needs/{published.id}/archive")
    section = "needs" if action == "create_need" else "capabilities"
    return client.post(f"/{section}/new", data=NEW_DATA)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(WEB_TABLE))
def test_web_permissions(client, auth, db, world, role, action):
    users, published, draft = world
    if role != "anonymous":
        auth.login(users[role])
    response = _web_request(client, action, published, draft)
    assert response.status_code == WEB_TABLE[action][role]
    if response.status_code == 302 and role == "anonymous":
        assert "/login" in response.headers["Location"]
    _assert_unchanged_unless_owner(db, role, published, draft)


def _assert_unchanged_unless_owner(db, role, published, draft):
    db.expire_all()
    if role == "owner":
        return
    for profile in (published, draft):
        stored = db.get(Profile, profile.id)
        assert stored.title in ("Published need", "Draft need")
    assert db.get(Profile, published.id).status == "published"


API_TABLE = {
    "get_published": {"owner": 200, "supplier": 200, "colleague_other_dept": 200, "admin": 200},
    "get_draft": {"owner": 200, "supplier": 404, "colleague_other_dept": 404, "admin": 200},
    "patch_published": {"owner": 200, "supplier": 403, "colleague_other_dept": 403, "admin": 403},
    "patch_draft": {"owner": 200, "supplier": 404, "colleague_other_dept": 404, "admin": 403},
    "archive_published": {"owner": 200, "supplier": 403, "colleague_other_dept": 403, "admin": 403},
}


@pytest.mark.parametrize("role", ["owner", "supplier", "colleague_other_dept", "admin"])
@pytest.mark.parametrize("action", list(API_TABLE))
def test_api_permissions(api, db, world, role, action):
    users, published, draft = world
    client = api.as_user(users[role])
    target = draft if action.endswith("draft") else published
    if action.startswith("get"):
        response = client.get(f"/api/v1/needs/{target.id}")
    elif action.startswith("patch"):
        response = client.patch(f"/api/v1/needs/{target.id}", json={"title": "Changed by someone"})
    else:
        response = client.post(f"/api/v1/needs/{target.id}/archive")
    assert response.status_code == API_TABLE[action][role]
    if response.status_code >= 400:
        assert response.json["error"]["message"]
    _assert_unchanged_unless_owner(db, role, published, draft)


def test_member_of_unapproved_organisation_can_draft_but_not_be_seen(client, auth, make):
    pending = make.organisation("supplier", approved=False)
    founder = make.user(pending)
    stranger = make.user(kind="clinical_department")
    auth.login(founder)
    response = client.post("/capabilities/new", data={**NEW_DATA, "title": "Pending product"})
    assert response.status_code == 302
    capability_url = response.headers["Location"]
    assert client.get(capability_url).status_code == 200
    auth.logout()
    auth.login(stranger)
    assert client.get(capability_url).status_code == 404
    assert b"Pending product" not in client.get("/capabilities?q=Pending").data


def test_admin_approval_makes_profiles_public(client, auth, make):
    pending = make.organisation("supplier", approved=False)
    make.capability(pending, title="Hidden until approved")
    admin = make.user(is_admin=True)
    auth.login(admin)
    assert b"Hidden until approved" not in client.get("/capabilities").data
    assert client.post(f"/admin/organisations/{pending.id}/approve").status_code == 302
    assert b"Hidden until approved" in client.get("/capabilities").data


def test_only_admins_reach_administration(client, auth, make):
    auth.login(make.user(kind="supplier"))
    assert client.get("/admin/organisations").status_code == 403
    organisation = make.organisation("supplier", approved=False)
    assert client.post(f"/admin/organisations/{organisation.id}/approve").status_code == 403


# --- an organisation's members: its administrators manage them, its members see them -------------

MEMBER_ROLES = ["anonymous", "org_admin", "org_member", "colleague_other_dept", "supplier", "admin"]
MEMBERS_WEB_TABLE = {
    "see_members": {"anonymous": 302, "org_admin": 200, "org_member": 200, "colleague_other_dept": 403,
                    "supplier": 403, "admin": 403},
    "invite": {"anonymous": 302, "org_admin": 302, "org_member": 403, "colleague_other_dept": 403,
               "supplier": 403, "admin": 403},
    "promote": {"anonymous": 302, "org_admin": 302, "org_member": 403, "colleague_other_dept": 403,
                "supplier": 403, "admin": 403},
    "remove": {"anonymous": 302, "org_admin": 302, "org_member": 403, "colleague_other_dept": 403,
               "supplier": 403, "admin": 403},
    "edit_need": {"anonymous": 302, "org_admin": 302, "org_member": 302, "colleague_other_dept": 403,
                  "supplier": 403, "admin": 403},
}


@pytest.fixture
def team(make):
    department = make.organisation("clinical_department")
    users = {"org_admin": make.user(department, organisation_role="admin"),
             "org_member": make.user(department),
             "colleague_other_dept": make.user(kind="clinical_department"),
             "supplier": make.user(kind="supplier"), "admin": make.user(is_admin=True)}
    target = make.user(department, name="Target Member")
    return department, users, target, make.need(department, title="Published need")


def _members_request(client, action, department, target, need):
    base = f"/organisations/{department.id}"
    return {"see_members": lambda: client.get(f"{base}/members"),
            "invite": lambda: client.post(f"{base}/invitations", data={"email": "new@example.org"}),
            "promote": lambda: client.post(f"{base}/members/{target.id}/role", data={"role": "admin"}),
            "remove": lambda: client.post(f"{base}/members/{target.id}/remove"),
            "edit_need": lambda: client.post(f"/needs/{need.id}/edit", data=EDIT_DATA)}[action]()


@pytest.mark.parametrize("role", MEMBER_ROLES)
@pytest.mark.parametrize("action", list(MEMBERS_WEB_TABLE))
def test_members_permissions(client, auth, db, team, role, action):
    """Every member of the department edits its need; only its administrators manage its members."""
    department, users, target, need = team
    if role != "anonymous":
        auth.login(users[role])
    response = _members_request(client, action, department, target, need)
    assert response.status_code == MEMBERS_WEB_TABLE[action][role]
    db.expire_all()
    allowed = response.status_code == 302 and role != "anonymous"
    assert (db.get(Profile, need.id).title == "Changed by someone") == (allowed and action == "edit_need")
    assert (target.organisation_id is None) == (allowed and action == "remove")
    assert (target.organisation_role == "admin") == (allowed and action == "promote")
