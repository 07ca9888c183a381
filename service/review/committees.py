"""The 组织部门's draw of 基层党委: at least 5% of them, reproducible from a recorded seed. Each
committee drawn is then sampled like any scope (branches and members: review.sampling)."""

from __future__ import annotations

from sqlalchemy import select

from service import audit
from service.errors import ServiceError
from service.extensions import db
from service.models import Org, SamplingItem, SamplingRun
from service.models.sampling import COMMITTEE
from service.records.codes import COMMITTEE_ORG_TYPES
from service.review import scoresheet
from service.review.sampling import MAX_REASON, MAX_SEED, draw, new_seed
from service.roster.orgs import in_subtree


def committee_ids(scope: Org | None) -> list[int]:
    """Return the ids of the 基层党委 in scope (everywhere when None), by id.

    A 基层党委 is a 党委 (or 临时党委) with no 党委 below it: a 党委 over other 党委 (a county's,
    say) is not one.
    """
    stmt = select(Org.id, Org.path).where(Org.org_type.in_(COMMITTEE_ORG_TYPES)).order_by(Org.id)
    if scope is not None:
        stmt = stmt.where(in_subtree(scope))
    rows = list(db.session.execute(stmt))
    paths = [path for _, path in rows]
    return [org_id for org_id, path in rows
            if not any(other != path and other.startswith(path) for other in paths)]


def draw_committees(scope: Org | None, anchor: Org, *, actor_id: int, seed: str | None = None,
                    note: str | None = None) -> SamplingRun:
    """Draw and record at least 5% of the 基层党委 in scope (no commit).

    ``anchor`` is the org the run is filed under (the scope, or the inspector's own org when
    the draw covers everything).
    """
    seed = (seed or "").strip() or new_seed()
    if len(seed) > MAX_SEED:
        raise ServiceError(f"随机种子过长：最多 {MAX_SEED} 个字符")
    population = committee_ids(scope)
    if not population:
        raise ServiceError("范围内没有基层党委（组织类别611党委或911临时党委），无法抽取")
    size = scoresheet.committee_sample_size(len(population))
    run = SamplingRun(scope_org_id=anchor.id, seed=seed, drawn_by=actor_id,
                      committee_total=len(population), committee_size=size,
                      note=(note or "").strip()[:MAX_REASON] or None)
    for seq, org_id in enumerate(draw(population, size, seed, COMMITTEE), start=1):
        run.items.append(SamplingItem(kind=COMMITTEE, seq=seq, org_id=org_id))
    db.session.add(run)
    db.session.flush()
    audit.record("sampling.draw_committees", actor=f"admin:{actor_id}",
                 target_type="sampling_run", target_id=run.id,
                 scope=scope.name if scope else "全部", seed=seed, committees=size,
                 total=len(population))
    return run
