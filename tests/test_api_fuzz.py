"""Fuzzing the JSON API from its own OpenAPI document: every operation, with requests generated
from the documented parameters and bodies, must never answer 5xx and must answer only documented
status codes with bodies that match the documented schemas.

Runs in-process against the app, as a user whose organisation has data, with a fixed number of
examples per operation and derandomised generation, so a run is repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from matchmaker.services.collaborations import operations as collab
from matchmaker.services.collaborations import terms as terms_rules

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def token(make, db, index):
    """A supplier with a published product and a proposed collaboration, among needs of two trusts
    and an agency's instrument, and in an arena with a clinician; returns the supplier's API token."""
    trust_a, trust_b = make.organisation("health_trust"), make.organisation("health_trust")
    ward = make.organisation("clinical_department", parent_id=trust_a.id)
    other_ward = make.organisation("clinical_department", parent_id=trust_b.id)
    clinician = make.user(ward)
    need = index(make.need(ward, title="Night-time falls", clinical_areas=["geriatrics"]))
    index(make.need(other_ward, title="Falls at home"))
    supplier = make.user(kind="supplier")
    product = index(make.capability(supplier.organisation, title="BedWatch radar", trl=6))
    index(make.capability(supplier.organisation, title="Draft idea", status="draft"))
    collab.propose(db, supplier, need, product, terms_rules.template(need, product))
    db.commit()
    # An arena both take part in, with a meeting between them: small ids, so generated ones reach it.
    arena = make.arena(slots=3, tables=1)
    make.meeting(arena, make.participant(arena, user=supplier, profile=product),
                 make.participant(arena, user=clinician, profile=need))
    make.user(kind="funding_agency")
    assert clinician.organisation_id == ward.id
    return make.token(supplier)


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        yield result.ok()


def test_every_operation_conforms_to_the_openapi_document(app, token):
    headers = {"Authorization": f"Bearer {token}"}
    failures: dict[str, str] = {}
    operations = list(_operations(app))
    assert len(operations) > 40

    for operation in operations:
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        # valid requests, and requests breaking the document on purpose, which must be refused with
        # a documented 4xx
        @given(case=st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                              operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)))
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as error:  # every operation's failures, not just the first
            failures[operation.label] = str(error)[:1500]

    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
