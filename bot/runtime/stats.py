"""What staff see with /stats: questions per day by channel, answered or not, the top procedures, as a PNG chart."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from bot.storage import UserRepository

DAYS = 14


@dataclass(frozen=True)
class Stats:
    days: tuple[str, ...]                       # ISO dates, oldest first
    per_day: dict[str, tuple[int, ...]]         # channel -> questions per day
    answered: int
    unanswered: int
    top: tuple[tuple[str, int], ...]            # (entry id, questions)

    @property
    def total(self) -> int:
        return self.answered + self.unanswered


async def collect(users: UserRepository, today: dt.date, days: int = DAYS) -> Stats:
    since = today - dt.timedelta(days=days - 1)
    rows = await users.question_counts(since.isoformat())
    dates = tuple((since + dt.timedelta(days=i)).isoformat() for i in range(days))
    per_day: dict[str, list[int]] = {}
    answered = unanswered = 0
    top: dict[str, int] = {}
    for day, channel, entry_id, was_unanswered, count in rows:
        series = per_day.setdefault(channel, [0] * days)
        if day in dates:
            series[dates.index(day)] += count
        if was_unanswered:
            unanswered += count
        else:
            answered += count
        if entry_id:
            top[entry_id] = top.get(entry_id, 0) + count
    ranked = tuple(sorted(top.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
    return Stats(dates, {c: tuple(v) for c, v in per_day.items()}, answered, unanswered, ranked)


def chart_png(stats: Stats, names: dict[str, str]) -> bytes:
    """The chart, drawn with matplotlib's object API (thread-safe: no pyplot global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 7), dpi=100)
    FigureCanvasAgg(figure)
    days_axis, top_axis = figure.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})
    labels = [d[5:] for d in stats.days]
    bottom = [0] * len(labels)
    for channel, series in sorted(stats.per_day.items()):
        days_axis.bar(labels, series, bottom=bottom, label=channel)
        bottom = [b + s for b, s in zip(bottom, series)]
    days_axis.set_title(f"Preguntas por día ({len(labels)} días): {stats.answered} respondidas, "
                        f"{stats.unanswered} sin respuesta")
    days_axis.tick_params(axis="x", labelrotation=45)
    if stats.per_day:
        days_axis.legend()
    top = list(reversed(stats.top))
    top_axis.barh([names.get(e, e)[:40] for e, _ in top], [n for _, n in top])
    top_axis.set_title("Trámites más consultados")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
