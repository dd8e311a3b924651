"""What the demo's last 90 days held: resolved incidents, blips, maintenance, typical response times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from incidents.models import ComponentStatus, Impact

LOCATIONS = ("eu-west", "us-east")
# A typical response time per component (ms), for the probes' last 24 hours.
TYPICAL_MS = {
    "Public API": 85,
    "Webhooks": 140,
    "Message queue us-east": 22,
    "Message queue eu-west": 28,
    "Worker backend": 210,
    "Cache": 4,
}
RESULT_EVERY = timedelta(minutes=5)


@dataclass
class Spell:
    """Time a component spent in a status other than operational: (days ago, "HH:MM" UTC, minutes)."""

    component: str
    status: str
    days_ago: int
    at: str
    minutes: int

    def span(self, today: date) -> tuple[datetime, datetime]:
        hour, minute = map(int, self.at.split(":"))
        start = datetime.combine(today - timedelta(days=self.days_ago), time(hour, minute), tzinfo=UTC)
        return start, start + timedelta(minutes=self.minutes)


@dataclass
class Story:
    """A resolved incident: its updates (minutes after it began, status, text) and the outage behind it."""

    name: str
    impact: str
    spells: list[Spell]
    updates: list[tuple[int, str, str]]
    postmortem: str = ""
    components: list[str] = field(default_factory=list)


STORIES = [
    Story(
        "Delayed message delivery in eu-west",
        Impact.MAJOR,
        [Spell("Message queue eu-west", ComponentStatus.PARTIAL_OUTAGE, 61, "13:20", 190)],
        [
            (0, "investigating", "Messages published in eu-west are delivered late, some by minutes."),
            (
                25,
                "identified",
                "One queue on shard 3 is growing without bound and slowing that shard; "
                "we are moving its consumers to a shard of their own.",
            ),
            (150, "monitoring", "The backlog is draining and new messages are delivered on time."),
            (190, "resolved", "The backlog has drained; delivery times are back to normal."),
        ],
        postmortem=(
            "## Summary\n\nFor 3 h 10 min, messages in eu-west were delivered late (partial outage).\n\n"
            "## Cause\n\nOne tenant's queue on shard 3 grew without bound: its consumer had stalled. "
            "The shard spent its I/O on that queue and every other queue on it slowed down.\n\n"
            "## What we changed\n\n- A length limit per queue, with an alert well before it.\n"
            "- Stalled consumers are detected within 2 minutes.\n"
            "- Queues are spread so one cannot take a whole shard.\n"
        ),
    ),
    Story(
        "Webhook deliveries delayed",
        Impact.MINOR,
        [Spell("Webhooks", ComponentStatus.PARTIAL_OUTAGE, 44, "06:10", 25)],
        [
            (0, "investigating", "Some webhook deliveries are arriving late."),
            (25, "resolved", "A stuck worker was replaced; deliveries have caught up."),
        ],
    ),
    Story(
        "Public API returning errors",
        Impact.CRITICAL,
        [
            Spell("Public API", ComponentStatus.MAJOR_OUTAGE, 26, "09:41", 12),
            Spell("Webhooks", ComponentStatus.DEGRADED, 26, "09:41", 20),
        ],
        [
            (0, "investigating", "Most API requests fail with errors. We are investigating."),
            (
                6,
                "identified",
                "Two rarely used queries without an index locked the database under load; "
                "we have stopped them.",
            ),
            (12, "monitoring", "Requests succeed again. We are watching error rates."),
            (40, "resolved", "Error rates have stayed normal; an index now covers both queries."),
        ],
        components=["Public API", "Webhooks"],
    ),
    Story(
        "Slow job processing",
        Impact.MINOR,
        [Spell("Worker backend", ComponentStatus.DEGRADED, 8, "17:05", 45)],
        [
            (0, "investigating", "Background jobs take longer than usual to finish."),
            (30, "monitoring", "We added workers; the queue of jobs is shrinking."),
            (50, "resolved", "Jobs finish on time again."),
        ],
    ),
]
# Blips too short for an incident, and a planned window, that the rollups still show.
BLIPS = [
    Spell("Cache", ComponentStatus.MAJOR_OUTAGE, 70, "03:12", 2),
    Spell("Message queue us-east", ComponentStatus.DEGRADED, 33, "21:40", 15),
    Spell("Public API", ComponentStatus.DEGRADED, 3, "14:05", 8),
]
MAINTENANCE = Spell("Cache", ComponentStatus.MAINTENANCE, 15, "02:00", 45)
MAINTENANCE_NAME = "Cache upgrade to Redis 7.2"
UPCOMING_NAME = "Message queue us-east broker upgrade"
