def test_landing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"matchmaker" in response.data


def test_dashboard_needs_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_clinician_dashboard(client, auth, make):
    user = make.user(kind="clinical_department")
    make.need(user.organisation, title="Night-time falls")
    auth.login(user)
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert b"Night-time falls" in response.data
