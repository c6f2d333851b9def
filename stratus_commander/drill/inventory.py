"""The fixed inventory of the drill world: status pages, monitors, tables, the Connect account.

Faults name these (a component, a monitor) and the fake endpoints serve them, so both read them
from here; a scenario naming something that is not listed is rejected when it loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLATFORM_VERSION = "2026.11.4"

#: The broker's Stripe Connect account the drill's ``stripe`` probe watches.
CONNECT_ACCOUNT = "acct_1StratusDrill01"
WEBHOOK_ENDPOINT_ID = "we_1StratusDrillWh01"


@dataclass(frozen=True, slots=True)
class StatusPage:
    id: str  # Statuspage's page id
    name: str
    url: str
    components: tuple[str, ...]


STATUS_PAGES: dict[str, StatusPage] = {
    "supabase": StatusPage(
        id="xmgq2pn0ws2x",
        name="Supabase",
        url="https://status.supabase.com",
        components=("API Gateway", "Auth", "Database", "Storage", "Realtime", "Edge Functions"),
    ),
    "cdn": StatusPage(
        id="yh6f0r4529hb",
        name="Cloudflare",
        url="https://www.cloudflarestatus.com",
        components=("CDN/Cache", "DNS", "Workers", "Dashboard", "London, United Kingdom - (LHR)"),
    ),
}


@dataclass(frozen=True, slots=True)
class Monitor:
    id: int
    name: str
    url: str
    average_response_ms: float


MONITORS: tuple[Monitor, ...] = (
    Monitor(
        797001001, "StratusConnect API", "https://api.stratusconnect.example/api/health", 212.4
    ),
    Monitor(797001002, "StratusConnect Web", "https://www.stratusconnect.example/", 341.9),
    Monitor(797001003, "Operator portal", "https://operators.stratusconnect.example/", 288.2),
)
MONITOR_NAMES = tuple(m.name for m in MONITORS)

#: Tables the anon key must never read (RLS on, no anon policy) and tables it may.
PROTECTED_TABLES = ("payments", "bookings")
TABLE_ROWS: dict[str, list[dict[str, Any]]] = {
    "payments": [
        {
            "id": "5b0d6c1e-1f7a-4c1b-9d55-0c2a7f1e9a01",
            "booking_id": "BK-240116-0042",
            "amount": 1845000,
            "currency": "gbp",
            "stripe_payment_intent": "pi_3StratusDrill000001",
            "status": "succeeded",
        },
        {
            "id": "5b0d6c1e-1f7a-4c1b-9d55-0c2a7f1e9a02",
            "booking_id": "BK-240116-0043",
            "amount": 960000,
            "currency": "gbp",
            "stripe_payment_intent": "pi_3StratusDrill000002",
            "status": "requires_capture",
        },
    ],
    "bookings": [
        {
            "id": "BK-240116-0042",
            "operator": "Skyline Charter Ltd",
            "route": "EGLF-LFMN",
            "passenger_name": "A. Example",
            "departs_at": "2026-12-02T09:30:00Z",
        },
    ],
    "airports": [
        {"icao": "EGLF", "name": "Farnborough", "country": "GB"},
        {"icao": "LFMN", "name": "Nice Côte d'Azur", "country": "FR"},
    ],
}
