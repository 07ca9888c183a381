"""Acceptance sampling use cases: draw a reproducible sample, record checks, summarise scores."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select

from service import audit
from service.clock import now_utc
from service.errors import Conflict, NotFound, ServiceError
from service.extensions import db
from service.models import Member, Org
from service.models.member import ACTIVE
from service.models.sampling import (
    BRANCH,
    FAIL,
    MEMBER,
    PASS,
    SamplingCheck,
    SamplingItem,
    SamplingRun,
)
from service.records.codes import BRANCH_ORG_TYPES
from service.review import scoresheet
from service.review.scoresheet import BRANCH_ITEMS, BY_NO, MEMBER_ITEMS, ScoreItem
from service.roster.orgs import in_subtree

MAX_SEED = 64
MAX_REASON = 2000
NOT_STARTED = "未开始"


def new_seed() -> str:
    """Return a fresh random seed to record with a draw."""
    return secrets.token_hex(8)


def branch_ids(scope: Org) -> list[int]:
    """Return the ids of the 党支部 in scope, in a stable order (by id)."""
    return list(db.session.scalars(
        select(Org.id).where(in_subtree(scope), Org.org_type.in_(BRANCH_ORG_TYPES))
        .order_by(Org.id)))


def member_ids(scope: Org) -> list[tuple[int, int]]:
    """Return (member id, org id) of the active members in scope, in a stable order (by id)."""
    return [(m, o) for m, o in db.session.execute(
        select(Member.id, Member.org_id).join(Org, Member.org_id == Org.id)
        .where(in_subtree(scope), Member.record_status == ACTIVE).order_by(Member.id))]


def draw(population: list[int], size: int, seed: str, stream: str) -> list[int]:
    """Pick ``size`` of ``population`` with a generator seeded by seed and stream.

    Branches and members use separate streams, so the member sample does not depend on how
    many branches there are. Same seed and population, same sample, on any machine.
    """
    rng = random.Random(f"{seed}/{stream}")
    return rng.sample(population, size)


def draw_run(scope: Org, *, actor_id: int, seed: str | None = None,
             note: str | None = None) -> SamplingRun:
    """Draw and record a sample of branches and members of scope (no commit)."""
    seed = (seed or "").strip() or new_seed()
    if len(seed) > MAX_SEED:
        raise ServiceError(f"随机种子过长：最多 {MAX_SEED} 个字符")
    branches = branch_ids(scope)
    members = member_ids(scope)
    if not branches and not members:
        raise ServiceError(f"“{scope.name}”下没有党支部和党员，无法抽查")
    run = SamplingRun(scope_org_id=scope.id, seed=seed, drawn_by=actor_id,
                      branch_total=len(branches), member_total=len(members),
                      branch_size=scoresheet.sample_size(len(branches)),
                      member_size=scoresheet.sample_size(len(members)),
                      note=(note or "").strip()[:MAX_REASON] or None)
    for seq, org_id in enumerate(draw(branches, run.branch_size, seed, BRANCH), start=1):
        run.items.append(SamplingItem(kind=BRANCH, seq=seq, org_id=org_id))
    org_of = dict(members)
    picked = draw([m for m, _ in members], run.member_size, seed, MEMBER)
    for seq, member_id in enumerate(picked, start=1):
        run.items.append(SamplingItem(kind=MEMBER, seq=seq, org_id=org_of[member_id],
                                      member_id=member_id))
    db.session.add(run)
    db.session.flush()
    audit.record("sampling.draw", actor=f"admin:{actor_id}", target_type="sampling_run",
                 target_id=run.id, scope=scope.name, seed=seed, branches=run.branch_size,
                 members=run.member_size)
    return run


def items_for(item: SamplingItem) -> tuple[ScoreItem, ...]:
    """Return the scoring-sheet items a sampled record is checked against (none for a drawn
    基层党委: it is sampled in a run of its own)."""
    return {BRANCH: BRANCH_ITEMS, MEMBER: MEMBER_ITEMS}.get(item.kind, ())


def record_check(item: SamplingItem, item_no: int, *, passed: bool, problems: int = 0,
                 reason: str | None = None, actor_id: int) -> SamplingCheck:
    """Record (or change) the verdict on one checklist item of a sampled record (no commit)."""
    if item.run.closed_at is not None:
        raise Conflict("该抽查已结束，不能再修改检查结果")
    if item_no not in {i.no for i in items_for(item)}:
        raise ServiceError(f"检查项 {item_no} 不适用于该记录")
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON:
        raise ServiceError(f"原因过长：最多 {MAX_REASON} 字")
    if passed:
        problems = 0
    elif problems < 1:
        raise ServiceError(f"第{item_no}项“{BY_NO[item_no].name}”判为不合格时，问题处数至少为 1")
    elif not reason:
        raise ServiceError(f"第{item_no}项“{BY_NO[item_no].name}”判为不合格时，请填写原因")
    check = next((c for c in item.checks if c.item_no == item_no), None)
    if check is None:
        check = SamplingCheck(item_no=item_no, checked_by=actor_id)
        item.checks.append(check)
    check.result = PASS if passed else FAIL
    check.problems = problems
    check.reason = reason
    check.checked_by = actor_id
    check.checked_at = now_utc()
    db.session.flush()
    audit.record("sampling.check", actor=f"admin:{actor_id}", target_type="sampling_item",
                 target_id=item.id, run=item.run_id, item_no=item_no, result=check.result,
                 problems=problems)
    return check


@dataclass(frozen=True)
class Verdict:
    """A verdict on one checklist item as entered: passed or not, problems found, and why."""

    item_no: int
    passed: bool
    problems: int = 0
    reason: str | None = None


def record_checks(item: SamplingItem, verdicts: list[Verdict], *, actor_id: int) -> None:
    """Record the verdicts entered for one sampled record, all or none (no commit)."""
    for v in verdicts:
        record_check(item, v.item_no, passed=v.passed, problems=v.problems, reason=v.reason,
                     actor_id=actor_id)


def close_run(run: SamplingRun, *, actor_id: int) -> None:
    """Finish a run once every sampled record is fully checked (no commit)."""
    if run.closed_at is not None:
        raise Conflict("该抽查已结束")
    s = summarise(run)
    if s.checked_records < s.records:
        raise ServiceError(f"还有 {s.records - s.checked_records} 条抽查记录未检查完，不能结束")
    run.closed_at = now_utc()
    audit.record("sampling.close", actor=f"admin:{actor_id}", target_type="sampling_run",
                 target_id=run.id, score=s.score, grade=s.grade)


def find_run(run_id: int) -> SamplingRun:
    """Return a sampling run or refuse."""
    run = db.session.get(SamplingRun, run_id)
    if run is None:
        raise NotFound("该抽查不存在")
    return run


@dataclass
class ItemScore:
    """One scoring-sheet row of the summary."""

    item: ScoreItem
    problems: int = 0
    failed_records: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def applicable(self) -> bool:
        """Whether the item is checked here (申请入党人 items are not)."""
        return scoresheet.applicable(self.item)

    @property
    def reason(self) -> str:
        """Why an item is not applicable ("" when it is)."""
        return scoresheet.NOT_APPLICABLE.get(self.item.group, "") if not self.applicable else ""

    @property
    def deduction(self) -> int:
        """Points taken off: per problem, "扣完为止" (never more than the item is worth)."""
        return min(self.item.points, self.problems * self.item.per_problem)

    @property
    def score(self) -> int:
        return self.item.points - self.deduction if self.applicable else 0


@dataclass
class Summary:
    """The scoring sheet filled from a run's checks."""

    rows: list[ItemScore]
    records: int
    checked_records: int
    failed_records: int
    verdicts: int = 0  # checklist items judged so far, over every record

    @property
    def started(self) -> bool:
        """Whether any record has been checked yet: before that there is no score to show."""
        return self.verdicts > 0

    @property
    def status(self) -> str:
        """未开始 / 检查中 / 已检查完 (closing is the run's, see ``SamplingRun.closed_at``)."""
        if not self.started:
            return NOT_STARTED
        return "检查中" if self.checked_records < self.records else "已检查完"

    @property
    def full_points(self) -> int:
        """What the sheet is worth as printed (100)."""
        return sum(r.item.points for r in self.rows)

    @property
    def points(self) -> int:
        """Points the applicable items are worth (80: applicants are not held here)."""
        return sum(r.item.points for r in self.rows if r.applicable)

    @property
    def earned(self) -> int:
        return sum(r.score for r in self.rows if r.applicable)

    @property
    def score(self) -> float:
        """The result on the sheet's 100-point scale, one decimal (see ``explanation``)."""
        return round(100 * self.earned / self.points, 1) if self.points else 0.0

    @property
    def grade(self) -> str:
        """The band of the score; 未开始 while nothing is checked (an unchecked sheet would
        otherwise read as full marks)."""
        return scoresheet.grade(self.score) if self.started else NOT_STARTED

    @property
    def explanation(self) -> str:
        """How the total was reached, for the sheet's 合计 line."""
        if not self.started:
            return (f"尚未检查任何记录（共 {self.records} 条），暂无得分；逐条检查后按评分表"
                    "计分并定档次")
        left_out = self.full_points - self.points
        return (f"评分表满分{self.full_points}分，其中申请入党人信息（第17–20项）{left_out}分本系统"
                f"不适用；适用各项满分{self.points}分，得{self.earned}分，按百分制折算："
                f"{self.earned} ÷ {self.points} × 100 = {self.score}分，据此定档次（95分以上优秀，"
                "90分以上合格）")


def summarise(run: SamplingRun) -> Summary:
    """Sum every check of the run into the 评分表: all 20 items, 17-20 as 不适用."""
    rows = {i.no: ItemScore(i) for i in scoresheet.ITEMS}
    checked = failed = judged = 0
    for item in run.items:
        verdicts = {c.item_no: c for c in item.checks}
        judged += len(verdicts)
        if all(i.no in verdicts for i in items_for(item)):
            checked += 1
        if any(c.result == FAIL for c in verdicts.values()):
            failed += 1
        for c in verdicts.values():
            if c.result == FAIL:
                row = rows[c.item_no]
                row.problems += c.problems
                row.failed_records += 1
                if c.reason:
                    row.reasons.append(c.reason)
    return Summary(list(rows.values()), len(run.items), checked, failed, judged)


def runs_started(run_ids: list[int]) -> set[int]:
    """Return which of these runs have at least one verdict recorded."""
    if not run_ids:
        return set()
    return set(db.session.scalars(
        select(SamplingItem.run_id).join(SamplingCheck, SamplingCheck.item_id == SamplingItem.id)
        .where(SamplingItem.run_id.in_(run_ids)).distinct()))


def count_runs(scope: Org) -> int:
    """Return how many runs were drawn within scope."""
    return db.session.scalar(select(func.count(SamplingRun.id)).join(
        Org, SamplingRun.scope_org_id == Org.id).where(in_subtree(scope))) or 0
