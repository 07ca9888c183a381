"""The 回头看 report: every member and org in a scope checked; per-org counts, completeness."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.clock import now_utc
from service.extensions import db
from service.models import Member, Org
from service.models.member import ACTIVE
from service.quality import duplicates, rules
from service.records.fields import FULL_MEMBER, PROBATIONARY_MEMBER
from service.records.idcard import mask_id, normalize_id
from service.records.problems import ERROR, Problem, Severity
from service.records.validate import validate_member, validate_org
from service.roster.members import member_record
from service.roster.orgs import in_subtree

ALL_SCOPE = "全部党组织"
BATCH_SIZE = 1000  # members per fetch: bounded memory, few round trips


@dataclass(slots=True)
class Finding:
    """One problem of the review, located at an org and, for member problems, a member."""

    org_id: int
    org_name: str
    member_id: int | None  # None for a problem of the org itself
    member_name: str
    masked_id: str  # first 4 + last 4 characters; "" for org problems or no number
    category: str  # the notice's 回头看 category (rules.CATEGORIES)
    rule: str  # stable rule id, e.g. "ID_CHECKSUM"
    message: str
    severity: Severity
    field: str = ""


@dataclass(slots=True)
class OrgSummary:
    """Counts for one org's own members (not its sub-orgs'), or for the whole scope."""

    org_id: int | None
    name: str
    org_type: str = ""
    depth: int = 0  # 0 for the scope's root; lets a page indent the tree
    members: int = 0
    full_members: int = 0
    probationary: int = 0
    filled_items: int = 0
    required_items: int = 0
    errors: int = 0
    warnings: int = 0
    held: int = 0  # members held for correction (待修正) since their import
    to_supplement: int = 0  # lost or suspended members collected with what is known (待补充)

    @property
    def completeness(self) -> float | None:
        """信息完整度 in percent: filled ÷ required 附件2 items over the members; None if none."""
        if not self.required_items:
            return None
        return round(100 * self.filled_items / self.required_items, 1)


@dataclass
class QualityReport:
    """The review of one scope, ready to print, export or render."""

    scope: str
    scope_org_id: int | None
    generated_at: datetime  # naive UTC
    today: date
    orgs: list[OrgSummary]
    problems: list[Finding]
    total: OrgSummary = field(default_factory=lambda: OrgSummary(None, "合计"))

    def by_category(self) -> dict[str, int]:
        """Return the number of findings per category, in the notice's order, omitting zeros."""
        counts = Counter(f.category for f in self.problems)
        return {c: counts[c] for c in rules.CATEGORIES if counts[c]}


def build_report(scope: Org | None, today: date, *, batch_size: int = BATCH_SIZE
                 ) -> QualityReport:
    """Check every active member and org in ``scope`` (all data when None); never writes."""
    query = select(Org).options(selectinload(Org.units)).order_by(Org.path)
    if scope is not None:
        query = query.where(in_subtree(scope))
    # Held strongly for the whole run: member.org then resolves from the identity map, no SQL.
    orgs = list(db.session.scalars(query))
    base = min((_depth(o) for o in orgs), default=0)
    summaries = {o.id: OrgSummary(o.id, o.name, o.org_type, _depth(o) - base) for o in orgs}
    by_id = {o.id: o for o in orgs}
    found: list[Finding] = []
    twins = duplicates.name_birth_duplicates(list(by_id))
    tracker = duplicates.IdTracker()
    members = select(Member).where(Member.record_status == ACTIVE)
    if scope is not None:
        members = members.where(Member.org_id.in_(select(Org.id).where(in_subtree(scope))))
    members = members.order_by(Member.id).execution_options(yield_per=batch_size)
    for member in db.session.scalars(members):
        org = by_id[member.org_id]
        record = member_record(member)
        _tally(summaries[org.id], record)
        problems = validate_member(record, today)
        problem = rules.not_in_branch_problem(org.org_type)
        problems += [problem] if problem else []
        problems += [twins[member.id]] if member.id in twins else []
        if member.to_supplement:
            summaries[org.id].to_supplement += 1
            problems.append(rules.to_supplement_problem(member.missing_items))
        if member.held:
            summaries[org.id].held += 1
            problems += rules.held_problems(member.held_problems or [], problems)
        masked = mask_id(normalize_id(record["id_number"] or ""))
        found += [_finding(p, org, member.id, member.name, masked) for p in problems]
        tracker.see(member.id, org.id, member.name, record["id_number"])
    names = {o.id: o.name for o in orgs}
    for holder, masked, problem in duplicates.id_duplicates(tracker, names):
        found.append(_finding(problem, by_id[holder.org_id], holder.member_id, holder.name, masked))
    for org in orgs:
        s = summaries[org.id]
        counts = rules.OrgCounts(s.members, s.full_members, s.probationary)
        problems = rules.branch_size_problems(org.org_type, counts)
        problems += validate_org(_org_dict(org), [_unit_dict(u) for u in org.units], today)
        found += [_finding(p, org, None, "", "") for p in problems]
    order = {o.id: i for i, o in enumerate(orgs)}
    found.sort(key=lambda f: (order[f.org_id], f.member_id or 0, f.severity != ERROR, f.rule))
    for f in found:
        _count(summaries[f.org_id], f.severity)
    report = QualityReport(scope.name if scope else ALL_SCOPE, scope.id if scope else None,
                           now_utc(), today, list(summaries.values()), found)
    report.total = _sum(report.orgs)
    return report


def _depth(org: Org) -> int:
    return org.path.strip("/").count("/")


def _tally(s: OrgSummary, record: dict[str, Any]) -> None:
    s.members += 1
    s.full_members += record["member_type"] == FULL_MEMBER
    s.probationary += record["member_type"] == PROBATIONARY_MEMBER
    filled, required = rules.completeness_items(record)
    s.filled_items += filled
    s.required_items += required


def _count(s: OrgSummary, severity: Severity) -> None:
    if severity == ERROR:
        s.errors += 1
    else:
        s.warnings += 1


def _sum(orgs: list[OrgSummary]) -> OrgSummary:
    total = OrgSummary(None, "合计")
    for s in orgs:
        for name in ("members", "full_members", "probationary", "filled_items",
                     "required_items", "errors", "warnings", "held", "to_supplement"):
            setattr(total, name, getattr(total, name) + getattr(s, name))
    return total


def _finding(p: Problem, org: Org, member_id: int | None, name: str, masked: str) -> Finding:
    return Finding(org.id, org.name, member_id, name, masked, rules.category_of(p.rule), p.rule,
                   p.message, p.severity, p.field)


def _org_dict(org: Org) -> dict[str, Any]:
    return {k: getattr(org, k) for k in ("name", "secretary", "contact", "contact_phone",
                                         "org_type", "unit_situation")}


def _unit_dict(unit: Any) -> dict[str, Any]:
    return {k: getattr(unit, k) for k in ("name", "unit_type", "party_org_status", "unit_code")}
