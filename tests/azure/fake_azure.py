"""A fake Azure on loopback over real HTTPS: the token authority, Resource Manager and more.

It speaks the wire protocol the real SDK clients and the real ``ClientSecretCredential``
speak (response shapes as in ``../shared/samples/azure-rest/``): the OpenID
configuration and token endpoint of a custom authority, subscriptions, effective
permissions, Resource Graph pages with ``$skipToken``, VM instance views, Monitor
metrics, Cost Management query pages with ``nextLink`` and Cost Details reports with
their blobs. Faults are injected on demand: 429 with retry headers, 500, a dropped
connection, an expired token (401 with a claims challenge), always-500.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import fake_estate as estate
from tls import Certificates

GRAPH_PAGE = 4
COST_PAGE = 12
COLUMNS = [
    ("Cost", "Number"),
    ("ResourceId", "String"),
    ("ServiceName", "String"),
    ("MeterCategory", "String"),
    ("ResourceGroupName", "String"),
    ("ResourceLocation", "String"),
    ("ChargeType", "String"),
    ("PricingModel", "String"),
    ("UsageDate", "Number"),
    ("Tags", "Array"),
    ("Currency", "String"),
]


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``method`` and ``pattern`` with ``kind``."""

    method: str
    pattern: str
    kind: str  # 429 | cost-429 | 500 | drop | expire | always-500
    times: int = 1


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    status: int = 0


@dataclass
class FakeAzure:
    """State of the fake: tokens, faults, what was asked and what was served."""

    certs: Certificates
    port: int = 0
    tokens: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    served_costs: dict[tuple[Any, ...], float] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    remaining_reads: int = 11999
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def fail(self, method: str, pattern: str, kind: str, times: int = 1) -> None:
        """Inject a fault (see :class:`Fault`)."""
        with self.lock:
            self.faults.append(Fault(method, pattern, kind, times))

    def take_fault(self, method: str, path: str) -> str | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and re.search(fault.pattern, path, re.I) and fault.times:
                    fault.times -= 1
                    return fault.kind
        return None

    def requests(self, method: str, pattern: str) -> list[Seen]:
        """What the fake received matching ``method`` and ``pattern``."""
        return [s for s in self.seen if s.method == method and re.search(pattern, s.path, re.I)]

    def served_total(self, sub: str, kind: str) -> float:
        """Sum of the cost rows of ``kind`` served for ``sub`` (each row once, whatever retries)."""
        return round(
            sum(v for k, v in self.served_costs.items() if k[0] == sub and k[1] == kind), 6
        )


def start(certs: Certificates) -> tuple[FakeAzure, Callable[[], None]]:
    """Start the fake on a free loopback port; returns it and a function that stops it."""
    fake = FakeAzure(certs)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.server_cert, certs.server_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return fake, stop


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAzure
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out together, no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # -- plumbing -------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(method, path, query, self.headers.get("Authorization"))
        with self.fake.lock:
            self.fake.seen.append(seen)
        try:
            status, payload, headers = self._route(method, path, query, body)
        except _Dropped:
            seen.status = -1
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        seen.status = status
        self._send(status, payload, headers)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if isinstance(payload, bytes):
            data, kind = payload, "text/csv"
        else:
            data, kind = (
                (b"" if payload is None else json.dumps(payload).encode()),
                "application/json",
            )
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header(
            "x-ms-ratelimit-remaining-subscription-reads", str(self.fake.remaining_reads)
        )
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            return 200, self._openid(path.split("/")[1]), {}
        if path.endswith("/oauth2/v2.0/token"):
            return self._token(body)
        if path.startswith("/blobs/"):
            return self._blob(path)
        fault = self.fake.take_fault(method, path)
        if fault:
            return self._fault(fault, path)
        if not self._authorised():
            return 401, _error("InvalidAuthenticationToken", "The access token is invalid."), {}
        return self._arm(method, path, query, body)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization") or ""
        return header.startswith("Bearer ") and header[7:] in self.fake.tokens

    def _fault(self, kind: str, path: str) -> tuple[int, Any, dict[str, str]]:
        if kind == "drop":
            raise _Dropped
        if kind == "429":
            return 429, _error("TooManyRequests", "Slow down."), {"Retry-After": "1"}
        if kind == "cost-429":
            headers = {
                "x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after": "1",
                "x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "1",
            }
            return 429, _error("429", "Too many requests. Please retry."), headers
        if kind == "expire":
            with self.fake.lock:
                self.fake.tokens.clear()  # every token issued so far has expired
            claims = (
                base64.urlsafe_b64encode(
                    json.dumps(
                        {"access_token": {"nbf": {"essential": True, "value": "1700000000"}}}
                    ).encode()
                )
                .decode()
                .rstrip("=")
            )
            challenge = (
                f'Bearer authorization_uri="{self.fake.url}/{estate.TENANT}/oauth2/v2.0/authorize", '
                f'error="insufficient_claims", claims="{claims}"'
            )
            return (
                401,
                _error("ExpiredAuthenticationToken", "The token expired."),
                {"WWW-Authenticate": challenge},
            )
        return 500, _error("InternalServerError", "Something broke."), {}

    # -- the authority -------------------------------------------------------------
    def _openid(self, tenant: str) -> dict[str, Any]:
        base = f"{self.fake.url}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def _token(self, body: bytes) -> tuple[int, Any, dict[str, str]]:
        form = dict(parse_qsl(body.decode()))
        with self.fake.lock:
            self.fake.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if form.get("client_id") != estate.CLIENT_ID or form.get("client_secret") != estate.SECRET:
            return (
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215],
                },
                {},
            )
        with self.fake.lock:
            token = f"token-{len(self.fake.token_requests)}"
            self.fake.tokens.add(token)
        return (
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
            {},
        )

    # -- Resource Manager -----------------------------------------------------------
    def _arm(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        lower = path.lower()
        if method == "GET" and lower == "/subscriptions":
            return (
                200,
                {"value": [_subscription(s, n) for s, n in estate.SUBSCRIPTIONS.items()]},
                {},
            )
        if lower.endswith("/providers/microsoft.authorization/permissions"):
            return 200, {"value": estate.PERMISSIONS.get(_sub_of(path), [])}, {}
        if lower == "/providers/microsoft.resourcegraph/resources":
            return self._graph(json.loads(body))
        sub = _sub_of(path)
        if sub == estate.SUB_LOCKED:
            return 403, _error("AuthorizationFailed", "The client does not have authorization."), {}
        if lower.endswith("/instanceview"):
            return self._instance_view(path)
        if lower.endswith("/providers/microsoft.insights/metrics"):
            if sub == estate.SUB_DEV:  # no Monitoring Reader there (see PERMISSIONS)
                return 403, _error("AuthorizationFailed", "No access to metrics."), {}
            return self._metrics(path, query)
        if lower.endswith("/providers/microsoft.costmanagement/query"):
            return self._cost_query(sub, query, json.loads(body))
        if lower.endswith("/generatecostdetailsreport"):
            return self._generate_report(sub, json.loads(body))
        if "/costdetailsoperationresults/" in lower:
            return self._report_status(path.rsplit("/", 1)[1])
        return 404, _error("NotFound", f"No route for {method} {path}"), {}

    def _graph(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        subs = [s.lower() for s in request.get("subscriptions") or []]
        if estate.SUB_LOCKED in subs:
            return (
                403,
                _error("AuthorizationFailed", "No access to a subscription of the query."),
                {},
            )
        rows = sorted(
            (r.graph_row() for r in estate.RESOURCES if r.sub in subs), key=lambda r: r["id"]
        )
        token = (request.get("options") or {}).get("$skipToken")
        offset = int(base64.b64decode(token).decode()) if token else 0
        page = rows[offset : offset + GRAPH_PAGE]
        answer: dict[str, Any] = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "facets": [],
            "data": page,
        }
        if offset + GRAPH_PAGE < len(rows):
            answer["$skipToken"] = base64.b64encode(str(offset + GRAPH_PAGE).encode()).decode()
        return 200, answer, {}

    def _instance_view(self, path: str) -> tuple[int, Any, dict[str, str]]:
        item = estate.resource(path.rsplit("/instanceView", 1)[0])
        if item is None:
            return 404, _error("ResourceNotFound", "No such VM."), {}
        statuses = [
            {
                "code": "ProvisioningState/succeeded",
                "level": "Info",
                "displayStatus": "Provisioning succeeded",
            },
            {
                "code": f"PowerState/{item.power}",
                "level": "Info",
                "displayStatus": f"VM {item.power}",
            },
        ]
        return 200, {"computerName": item.name, "osName": "ubuntu", "statuses": statuses}, {}

    def _metrics(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        rid = re.split(r"/providers/microsoft\.insights/metrics", path, flags=re.I)[0]
        item = estate.resource(rid)
        if item is None:
            return 404, _error("ResourceNotFound", "No such resource."), {}
        names = query["metricnames"][0].split(",")
        if item.no_memory_percentage and "Available Memory Percentage" in names:
            return (
                400,
                _error(
                    "BadRequest",
                    "Failed to find metric configuration for Available Memory Percentage",
                ),
                {},
            )
        timespan = query["timespan"][0]
        first, last = (datetime.fromisoformat(t.replace("Z", "")) for t in timespan.split("/"))
        hours = []
        cursor = first
        while cursor < last:
            hours.append(cursor)
            cursor += timedelta(hours=1)
        value = [
            {
                "id": f"{item.id}/providers/Microsoft.Insights/metrics/{name}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": name, "localizedValue": name},
                "unit": estate.METRIC_UNITS.get(name, "Count"),
                "timeseries": [
                    {
                        "metadatavalues": [],
                        "data": [
                            {
                                "timeStamp": f"{h:%Y-%m-%dT%H:%M:%SZ}",
                                **estate.metric_point(item, name, h),
                            }
                            for h in hours
                        ],
                    }
                ],
                "errorCode": "Success",
            }
            for name in names
        ]
        return (
            200,
            {
                "cost": len(hours),
                "timespan": timespan,
                "interval": "PT1H",
                "value": value,
                "namespace": item.provider,
                "resourceregion": item.location,
            },
            {},
        )

    def _cost_query(
        self, sub: str, query: dict[str, list[str]], request: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        kind = request["type"]
        rows = self._cost_rows(
            sub, kind, request["timePeriod"]["from"], request["timePeriod"]["to"]
        )
        offset = int(query.get("$skiptoken", ["0"])[0])
        page = rows[offset : offset + COST_PAGE]
        with self.fake.lock:
            for row in page:
                key = (
                    sub,
                    kind,
                    row["UsageDate"],
                    row["ResourceId"],
                    row["ChargeType"],
                    row["PricingModel"],
                )
                self.fake.served_costs[key] = row["Cost"]
        properties: dict[str, Any] = {
            "columns": [{"name": n, "type": t} for n, t in COLUMNS],
            "rows": [[row[n] for n, _ in COLUMNS] for row in page],
            "nextLink": None,
        }
        if offset + COST_PAGE < len(rows):
            params = urlencode({"api-version": "2025-03-01", "$skiptoken": offset + COST_PAGE})
            properties["nextLink"] = (
                f"{self.fake.url}/subscriptions/{sub}/providers/Microsoft.CostManagement/query?{params}"
            )
        return (
            200,
            {
                "id": f"subscriptions/{sub}/providers/Microsoft.CostManagement/query/q",
                "name": "q",
                "type": "microsoft.costmanagement/Query",
                "properties": properties,
            },
            {},
        )

    def _cost_rows(self, sub: str, kind: str, first: str, last: str) -> list[dict[str, Any]]:
        day = date.fromisoformat(first[:10])
        end = min(date.fromisoformat(last[:10]), datetime.now(UTC).date())
        rows = []
        while day <= end:
            for row in estate.cost_rows(sub, kind, day):
                rows.append({**row, "UsageDate": int(f"{day:%Y%m%d}")})
            day += timedelta(days=1)
        return rows

    # -- Cost Details reports --------------------------------------------------------
    def _generate_report(
        self, sub: str, request: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        with self.fake.lock:
            op = f"op{len(self.fake.reports) + 1}"
            self.fake.reports[op] = {"sub": sub, "request": request, "polls": 0}
        location = (
            f"{self.fake.url}/subscriptions/{sub}/providers/Microsoft.CostManagement/"
            f"costDetailsOperationResults/{op}?api-version=2025-03-01"
        )
        return 202, None, {"Location": location, "Retry-After": "1"}

    def _report_status(self, op: str) -> tuple[int, Any, dict[str, str]]:
        report = self.fake.reports[op]
        report["polls"] += 1
        if report["polls"] == 1:  # still generating
            return 202, None, {"Retry-After": "1"}
        blob = f"{self.fake.url}/blobs/{op}.csv?sv=2020-05-31&sr=b&sig=abcd"
        return (
            200,
            {
                "id": f"subscriptions/{report['sub']}/providers/Microsoft.CostManagement/costDetailsOperationResults/{op}",
                "name": op,
                "status": "Completed",
                "manifest": {
                    "manifestVersion": "2023-11-01",
                    "dataFormat": "Csv",
                    "blobCount": 1,
                    "byteCount": 0,
                    "compressData": False,
                    "requestContext": {
                        "requestScope": f"subscriptions/{report['sub']}",
                        "requestBody": report["request"],
                    },
                    "blobs": [{"blobLink": blob, "byteCount": 0}],
                },
                "validTill": "2030-01-01T00:00:00Z",
            },
            {},
        )

    def _blob(self, path: str) -> tuple[int, Any, dict[str, str]]:
        if self.headers.get("Authorization"):
            return 400, _error("InvalidAuthenticationInfo", "A SAS URL takes no bearer token."), {}
        report = self.fake.reports[path.rsplit("/", 1)[1].removesuffix(".csv")]
        request = report["request"]
        kind = request["metric"]
        rows = self._cost_rows(
            report["sub"], kind, request["timePeriod"]["start"], request["timePeriod"]["end"]
        )
        return 200, _details_csv(report["sub"], kind, rows, self.fake), {}


class _Dropped(Exception):
    """Close the connection without answering."""


MCA_HEADER = [
    "invoiceId",
    "billingAccountId",
    "billingProfileId",
    "invoiceSectionId",
    "billingPeriodStartDate",
    "billingPeriodEndDate",
    "date",
    "meterCategory",
    "meterId",
    "consumedService",
    "SubscriptionId",
    "subscriptionName",
    "resourceGroupName",
    "ResourceId",
    "resourceLocation",
    "quantity",
    "chargeType",
    "billingCurrency",
    "costInBillingCurrency",
    "tags",
    "pricingModel",
    "frequency",
]


def _details_csv(sub: str, kind: str, rows: list[dict[str, Any]], fake: FakeAzure) -> bytes:
    """A Cost Details CSV with the MCA header, as the report's blob holds it."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MCA_HEADER)
    for row in rows:
        day = datetime.strptime(str(row["UsageDate"]), "%Y%m%d").date()
        month = day.replace(day=1)
        end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        with fake.lock:
            key = (
                sub,
                kind,
                row["UsageDate"],
                row["ResourceId"],
                row["ChargeType"],
                row["PricingModel"],
            )
            fake.served_costs[key] = row["Cost"]
        tags = "{" + ",".join(row["Tags"]) + "}"
        writer.writerow(
            [
                "",
                "bacc",
                "bp1",
                "is1",
                f"{month}",
                f"{end}",
                f"{day:%m/%d/%Y}",
                row["MeterCategory"],
                "m1",
                "Microsoft.Compute",
                sub,
                estate.SUBSCRIPTIONS[sub],
                row["ResourceGroupName"],
                row["ResourceId"],
                row["ResourceLocation"],
                24,
                row["ChargeType"],
                "EUR",
                row["Cost"],
                tags,
                row["PricingModel"],
                "UsageBased",
            ]
        )
    return out.getvalue().encode("utf-8")


def _subscription(sub: str, name: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}",
        "subscriptionId": sub,
        "tenantId": estate.TENANT,
        "displayName": name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }


def _sub_of(path: str) -> str:
    match = re.match(r"^/subscriptions/([^/]+)", path, re.I)
    return match.group(1).lower() if match else ""


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
