"""A trust's published needs, each with the most similar needs at other trusts: where the same
problem is being worked on twice, and a joint need could replace parallel projects."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching.engine import MatchingEngine
from matchmaker.models import Profile, User
from matchmaker.services import matching, permissions
from matchmaker.services.browse import ProfileFilters
from matchmaker.services.collaborations.joint_needs import trusts_and_sites
from matchmaker.services.indicators import Scope

SIMILAR_PER_NEED = 3


@dataclass
class NeedOverview:
    need: Profile
    similar: list[matching.Match]
    trusts: int  # how many trusts the need spans, its own included

    @property
    def is_joint(self) -> bool:
        return self.trusts > 1


def trust_needs(session: Session, viewer: User | None, scope: Scope) -> list[Profile]:
    query = select(Profile).where(Profile.kind == "need", Profile.status == "published",
                                  Profile.organisation_id.in_(scope.organisation_ids))
    needs = session.scalars(query.order_by(Profile.title, Profile.id)).unique()
    return [need for need in needs if permissions.can_view_profile(viewer, need)]


def overview(session: Session, engine: MatchingEngine, viewer: User | None, scope: Scope,
             per_need: int = SIMILAR_PER_NEED) -> list[NeedOverview]:
    """Every published need of the trust with its closest needs elsewhere (other trusts only)."""
    return [NeedOverview(need, matching.similar_needs(session, engine, viewer, need, ProfileFilters(), per_need),
                         trusts_and_sites(session, need)[0])
            for need in trust_needs(session, viewer, scope)]
