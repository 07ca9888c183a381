"""The dashboard's progress chart: cumulative settled members per day against the deadline,
drawn as plain SVG coordinates (no JavaScript, no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass
class Chart:
    """What the template draws: polylines, the deadline marker and axis labels."""

    actual: str  # "x,y x,y …" cumulative settled, up to today
    target: str  # straight line from 0 at the start to everyone at the deadline
    deadline_x: float
    today_x: float
    x_labels: list[tuple[float, str]]
    y_labels: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    bottom: int = HEIGHT - BOTTOM
    left: int = LEFT


def build(per_day: dict[date, int], total: int, start: date, deadline: date,
          today: date) -> Chart:
    """Lay out the chart from the count of members settled on each local day."""
    end = max(deadline, today, start + timedelta(days=1))
    span = (end - start).days or 1
    top = max(total, 1)

    def x(day: date) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span, 1)

    def y(n: int) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * n / top, 1)

    running = sum(n for d, n in per_day.items() if d < start)  # settled before the start day
    points = []
    day = start
    while day <= min(today, end):
        running += per_day.get(day, 0)
        points.append(f"{x(day)},{y(running)}")
        day += timedelta(days=1)
    step = max(1, span // 6)
    x_labels = [(x(start + timedelta(days=i)), f"{start + timedelta(days=i):%m-%d}")
                for i in range(0, span + 1, step)]
    ticks = sorted({round(top * f) for f in (0, 0.25, 0.5, 0.75, 1)})
    y_labels = [(y(n), str(n)) for n in ticks]
    return Chart(
        actual=" ".join(points), target=f"{x(start)},{y(0)} {x(deadline)},{y(total)}",
        deadline_x=x(deadline), today_x=x(min(today, end)), x_labels=x_labels, y_labels=y_labels,
    )
