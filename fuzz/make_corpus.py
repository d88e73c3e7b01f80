#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
# fuzz/make_corpus.py - writes the seed corpora from real-shaped deliveries (spec §3.6, §4.4).
# Signs with Python's own hmac/gzip, independently of the library. Re-run after changing seeds.
import base64, gzip, hashlib, hmac, json, os, random

here = os.path.dirname(os.path.abspath(__file__))
WH = "247b2dea-a030-48b7-9a05-ee33c1b6ab0a"
SECRET_A = "your-webhook-secret-min-12-chars"
SECRET_B = "wX9kLmP2nQrT4vYz"
TS = "2024-11-28T10:30:00+00:00"

def write(surface, name, data):
    d = os.path.join(here, "corpus", surface)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def sign(secret, ts, body):
    return base64.b64encode(hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).digest()).decode()

def env(event, records, **extra):
    e = {"version": "1.0", "event_name": event, "webhook_id": WH, "timestamp": TS,
         "id": "01936b2e-7c00-7000-8000-0000000000%02d" % (len(records) + len(event) % 50),
         "delivery_attempt": 1, "data": records}
    e.update(extra)
    return json.dumps(e, separators=(",", ":")).encode()

fleet = "98765432-10fe-dcba-9876-543210fedcba"
conn = "c0000000-0000-4000-8000-000000000001"
bodies = {
    "invitation_accepted": env("invitation.accepted", [{"id": "01234567-89ab-cdef-0123-456789abcdef",
        "created_at": "2024-11-27T09:00:00Z", "magic_link": "https://connect.catenatelematics.com/?invite=x",
        "expires_at": "2024-11-28T09:00:00Z", "expires_in_hours": 24, "status": "accepted",
        "accepted_at": "2024-11-28T10:29:58Z", "fleet_id": fleet, "fleet_ref": "FLEET-42"}]),
    "invitation_declined": env("invitation.declined", [{"id": "inv-2", "status": "declined", "fleet_id": None,
        "fleet_ref": "FLEET-7", "decline_reason": "not now", "declined_at": "2024-11-28T10:00:00.5Z"}]),
    "share_agreement": env("share_agreement.created", [{"id": "sa-1", "fleet_id": fleet, "partner_id": "p",
        "fleet_ref": "FLEET-42", "invitation_id": "inv-1", "status": "active",
        "scopes": {"vehicle": "read", "user": "read_write"}}]),
    "connection_staled": env("connection.staled", [{"id": conn, "source_name": "motive", "fleet_id": fleet,
        "tsp_id": "t", "status": "stale"}]),
    "fleet_connection": env("fleet_connection.created", [{"id": "fc-1", "fleet_id": fleet, "connection_id": conn}]),
    "schedule_deactivated": env("schedule.deactivated", [{"id": "s-1", "connection_id": conn, "resource": "hos_event",
        "execution_interval_seconds": 300, "status": "inactive", "consecutive_error_threshold": 10,
        "max_concurrent_executions": 1}]),
    "vehicle_locations": env("vehicle_location.added", [{"id": "vl-%d" % i, "fleet_id": fleet, "fleet_ref": None,
        "source_name": "samsara", "connection_id": conn, "source_id": "abc%d" % i,
        "created_at": "2025-12-11T14:21:31Z", "updated_at": "2025-12-11T14:21:31Z",
        "occurred_at": "2025-12-11T14:21:%02dZ" % i, "location": {"type": "Point", "coordinates": [-97.74, 30.26]},
        "h3_index_11": 627710138564640767, "speed": 54} for i in range(3)]),
    "resource_operation_failed": env("resource_operation.failed", [{"id": "op-1", "status": "failed",
        "resource": "message", "operation_type": "create", "payload": {"message_text": "hi"},
        "logs": [{"id": "l", "status": "failed", "error_type": "auth", "response_status_code": 401,
                  "response_headers": None}]}]),
    "webhook_staled": b'{"version":"1.0","event_name":"webhook.staled","webhook_id":"' + WH.encode() + b'","data":[]}',
}

for name, body in bodies.items():
    write("event_envelope", name, b"\x00" + body)
    write("event_envelope", name + "_tight", b"\x01" + body)
    gz = gzip.compress(body, mtime=0)
    write("gzip_body", name, gz)
    for secret, label in ((SECRET_A, "a"), (SECRET_B, "b")):
        sig = sign(secret, TS, body)
        head = "%s\n%s\n%s\n" % (sig, TS, WH)
        write("signature_header", "%s_%s_gzip" % (name, label), (head + "gzip\n").encode() + gz)
        write("signature_header", "%s_%s_identity" % (name, label), (head + "\n").encode() + body)
    unknown = "%s\n%s\nunknown-webhook\ngzip\n" % (sign(SECRET_B, TS, body), TS)
    write("signature_header", name + "_default", unknown.encode() + gz)

# gzip_body reads its input twice: as a gzip member, and (after 8 parameter bytes) as a plain
# body it compresses itself. Larger plain bodies reach the ratio checks; a first byte of 0xc0
# or more builds a bomb from the body.
many = b"[" + b",".join(bodies["vehicle_locations"] for _ in range(6)) + b"]"
write("gzip_body", "plain_large", bytes([0x17, 0x36, 0x2f, 0x45, 0x10, 0x00, 0x20, 0x00]) + many)
write("gzip_body", "plain_bomb", bytes([0xff, 0x09, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00]) + b"\0" * 64)
write("gzip_body", "plain_flushed", bytes([0x96, 0x7e, 0xe4, 0x40, 0x00, 0x80, 0x00, 0xff]) + bodies["share_agreement"])

for i, ts in enumerate(["2024-11-28T10:30:00+00:00", "2024-11-28T10:30:00Z", "2024-11-28T10:30:00.123456789-05:30",
                        "2016-12-31T23:59:60z", "0001-01-01T00:00:00+23:59", "9999-12-31t23:59:59.9-23:59",
                        "2024-02-29T00:00:00Z"]):
    write("timestamp", "ts%d" % i, ts)
# Near misses, each one rule away from valid: the reference and the parser must both refuse them.
for name, ts in [("space_separator", "2024-11-28 10:30:00Z"), ("no_seconds", "2024-11-28T10:30Z"),
                 ("no_offset", "2024-11-28T10:30:00"), ("empty_fraction", "2024-11-28T10:30:00.Z"),
                 ("offset_no_colon", "2024-11-28T10:30:00+0000"), ("not_leap", "2023-02-29T00:00:00Z"),
                 ("before_year_0", "0000-01-01T00:00:00+00:01")]:
    write("timestamp", name, ts)

# delivery_sequence: programs of the fuzz_delivery_sequence target (see its header comment).
EVENTS = ["invitation.created", "invitation.sent", "invitation.viewed", "invitation.accepted", "invitation.declined",
          "invitation.expired", "invitation.deleted", "share_agreement.created", "share_agreement.deleted",
          "connection.created", "connection.staled", "fleet_connection.created", "execution.failed",
          "execution.created", "schedule.deactivated", "vehicle_location.added", "resource_operation.created",
          "resource_operation.succeeded", "resource_operation.failed", "webhook.staled", "tsp.created", "unknown.event"]

def deliver(name, eid, sub, fleet, ref, inv, conn, t, recs=0):
    return bytes([0, EVENTS.index(name), eid, sub, fleet, ref, inv, conn, t, recs])

def advance(n):
    return bytes([1, n])

JOURNEY = [("invitation.created", 1, 0, 0, 1, 1, 0, 130), ("invitation.viewed", 2, 0, 0, 1, 1, 0, 140),
           ("invitation.accepted", 3, 0, 1, 1, 1, 0, 150), ("share_agreement.created", 4, 0, 1, 1, 1, 0, 160),
           ("connection.created", 5, 0, 1, 0, 0, 1, 170), ("fleet_connection.created", 6, 0, 1, 0, 0, 1, 180),
           ("vehicle_location.added", 7, 0, 1, 1, 0, 1, 190), ("execution.failed", 8, 0, 1, 0, 0, 1, 200),
           ("schedule.deactivated", 0, 0, 0, 0, 0, 1, 210)]
write("delivery_sequence", "journey_in_order", b"".join(deliver(*j) for j in JOURNEY) + advance(50) + bytes([4]))
shuffled = JOURNEY[:]
random.Random(3).shuffle(shuffled)
write("delivery_sequence", "journey_shuffled", b"".join(deliver(*j) + advance(1) for j in shuffled) + advance(50))
write("delivery_sequence", "journey_duplicated", b"".join(deliver(*j) + deliver(*j) for j in JOURNEY) + advance(20))
write("delivery_sequence", "journey_late",
      b"".join(deliver(*j) for j in JOURNEY[5:]) + advance(20) + b"".join(deliver(*j) for j in JOURNEY[:5]) + advance(20))
write("delivery_sequence", "operations",
      bytes([2, 1, 10]) + deliver("resource_operation.created", 1, 0, 0, 1, 0, 1, 130) +
      deliver("resource_operation.succeeded", 2, 0, 0, 1, 0, 1, 131) + advance(20) + bytes([2, 1, 5]))
write("delivery_sequence", "raw_bodies", bytes([3, 20]) + b'{"version":"1.0","w' + bytes([3, 5]) + b"[1,2]" + advance(10))
write("delivery_sequence", "decline_restart",
      deliver("invitation.created", 1, 0, 0, 2, 2, 0, 100) + deliver("invitation.declined", 2, 0, 0, 2, 2, 0, 110) +
      deliver("invitation.created", 3, 0, 0, 2, 3, 0, 120) + advance(10))

# delivery_sequence reads its input again as a history (fuzz/fleet_history.hpp): per fact a
# kind byte (0 invitation step, 1-2 agreement created/deleted, 3-4 connection created/staled,
# 5 fleet_connection, 6-7 execution failed/succeeded, 8 schedule deactivated, 9 data, 10 a copy
# of an earlier delivery), a parameter byte (bit 0 fleet, bit 1 which part, bit 2 carries the
# fleet_id, then the invitation's end and step) and a time byte (10-second slots).
def fact(kind, fleet=0, which=0, fleet_id=True, time=0, end=0, step=0):
    return bytes([kind, fleet | which << 1 | (4 if fleet_id else 0) | end << 3 | step << 5, time])

onboarding = [fact(0, step=0, time=1), fact(0, step=1, time=2), fact(0, step=2, fleet_id=False, time=3),
              fact(0, step=3, time=4), fact(1, time=5), fact(3, time=6), fact(5, fleet_id=False, time=7),
              fact(9, time=8), fact(6, time=9), fact(7, fleet_id=False, time=10), fact(8, fleet_id=False, time=11),
              fact(9, time=12), fact(4, time=13), fact(3, time=14), fact(2, time=15)]
write("delivery_sequence", "history_onboarding", b"".join(onboarding))
write("delivery_sequence", "history_weak_keys_first",
      b"".join([fact(8, which=1, fleet_id=False, time=20), fact(6, which=1, fleet_id=False, time=21),
                fact(0, which=1, fleet_id=False, end=1, step=0, time=22), fact(0, which=1, fleet_id=False, end=1, step=3),
                fact(1, which=1, fleet_id=False, time=23), fact(3, which=1, fleet_id=True, time=24),
                fact(2, which=1, fleet_id=True, time=25)]))
write("delivery_sequence", "history_two_fleets_with_copies",
      b"".join([fact(3, fleet=1, time=30), fact(4, fleet=1, time=31), fact(10, time=0), fact(7, fleet=1, time=32),
                fact(0, fleet=1, end=3, step=3, time=33), fact(0, fleet=1, end=3, step=2), fact(10, time=2),
                fact(1, fleet=0, which=1, time=34), fact(9, fleet=0, which=1, time=35)]))

# http_session: a first byte (how the rest is cut into reads: (b % 64) + 1 bytes each, 0 for
# all at once), then the raw bytes of one connection. Signed requests are valid for the
# target's fixed clock (TS) and its secret (SECRET_B under WH).
def request(method, target, headers=(), body=b""):
    head = "%s %s HTTP/1.1\r\nHost: receiver\r\n" % (method, target)
    head += "".join("%s: %s\r\n" % h for h in headers)
    if body or method == "POST":
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + body

def signed(body, gz=True, rid="req-1"):
    sent = gzip.compress(body, mtime=0) if gz else body
    hs = [("X-Catena-Signature", sign(SECRET_B, TS, body)), ("X-Catena-Timestamp", TS), ("X-Webhook-ID", WH),
          ("X-Request-ID", rid), ("X-Delivery-Attempt", "1"), ("Content-Type", "application/json")]
    if gz:
        hs.append(("Content-Encoding", "gzip"))
    return request("POST", "/webhooks/catena", hs, sent)

write("http_session", "signed_gzip", b"\x00" + signed(bodies["invitation_accepted"]))
write("http_session", "signed_identity_split", b"\x07" + signed(bodies["vehicle_locations"], gz=False))
write("http_session", "pipelined", b"\x00" + signed(bodies["connection_staled"], rid="a") +
      request("GET", "/healthz") + request("GET", "/metrics") + signed(bodies["connection_staled"], rid="a"))
write("http_session", "unsigned_post", b"\x00" + request("POST", "/webhooks/catena", body=b'{"data":[]}'))
write("http_session", "wrong_routes", b"\x00" + request("GET", "/webhooks/catena") + request("DELETE", "/healthz") +
      request("GET", "/nowhere"))
write("http_session", "head_metrics", b"\x03" + request("HEAD", "/metrics"))
write("http_session", "chunked", b"\x00" + b"POST /webhooks/catena HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"5\r\nhello\r\n0\r\n\r\n")
write("http_session", "garbage", b"\x01" + b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n")
write("http_session", "oversized_length", b"\x00" + b"POST /webhooks/catena HTTP/1.1\r\nHost: r\r\n"
      b"Content-Length: 99999999999\r\n\r\n")
write("http_session", "http10_close", b"\x00" + b"GET /healthz HTTP/1.0\r\n\r\n")
# Smuggling shapes, early answers with a body left unread (lingering), a chunked signed body.
write("http_session", "te_not_chunked", b"\x00" + b"POST /webhooks/catena HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: gzip\r\n\r\n"
      + request("GET", "/metrics"))
write("http_session", "te_twice", b"\x00" + b"POST /webhooks/catena HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n"
      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
write("http_session", "no_host", b"\x00" + b"GET /healthz HTTP/1.1\r\n\r\n" + request("GET", "/healthz"))
write("http_session", "unsigned_with_body", b"\x05" + request("POST", "/webhooks/catena", body=b"x" * 3000) +
      request("GET", "/healthz"))
signed_chunked = signed(bodies["invitation_accepted"], rid="c")
head, _, body = signed_chunked.partition(b"\r\n\r\n")
head = b"\r\n".join(l for l in head.split(b"\r\n") if not l.startswith(b"Content-Length"))
write("http_session", "signed_chunked", b"\x09" + head + b"\r\nTransfer-Encoding: chunked\r\n\r\n" +
      b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
# The same target reads its input again as a program of requests built and signed by itself
# (fuzz_http_session.cpp, build()): per request a kind byte (0 delivery, 1 tampered, 2 stale,
# 3 bad coding, 4 health, 5 wrong route, 6 oversized), a flags byte (1 lower-case names,
# 2 HEAD or the delivery path, 4 gzip, 8 chunked, 16 the previous X-Request-ID, 32 Z, 64 br),
# then for a delivery a length byte (x 8), the body, an age byte, and a chunk size byte per chunk.
def program(*requests):
    out = b"\x00"
    for kind, flags, body in requests:
        out += bytes([kind, flags])
        if kind in (4, 5):
            continue
        body = body[: (len(body) // 8) * 8][:2040]
        out += bytes([len(body) // 8]) + body + (bytes([7]) if kind != 2 else b"")
        if flags & 8:
            out += b"\x20" * ((len(body) + 32) // 33)
    return out

journey = bodies["invitation_accepted"]
write("http_session", "program_deliveries", program((0, 4, journey), (0, 8 | 16, journey), (4, 0, b""),
                                                    (0, 1 | 32, bodies["connection_staled"])))
write("http_session", "program_refusals", program((1, 4, journey), (3, 64, journey), (3, 0, journey),
                                                  (5, 2, b""), (5, 0, b""), (4, 2, b""), (2, 0, journey)))
write("http_session", "program_oversized", program((0, 0, bodies["webhook_staled"]), (6, 4, journey)))

# provider_route: a flags byte (1 token in a header, 2 an allowlist, 4 fields "type"/"uuid"), then
# lines: target, token header, peer, a CIDR, a route path and token for check(), then the body.
TOKEN = "foxtrot-shared-token-0123"
def route_input(flags, target, header, peer, cidr, path, token, body):
    return bytes([flags]) + "\n".join([target, header, peer, cidr, path, token]).encode() + b"\n" + body

fox = json.dumps({"event": "ROUTE_CREATED", "id": "r-1", "timestamp": "2025-01-01T00:00:00Z",
                  "data": {"route_id": 7, "stops": [1, 2]}}, separators=(",", ":")).encode()
write("provider_route", "token_in_path", route_input(0, "/webhooks/foxtrot/" + TOKEN, "", "203.0.113.9",
                                                     "10.0.0.0/8", "/hooks/x", "abcdefghijklmnopq", fox))
write("provider_route", "token_header", route_input(1, "/webhooks/foxtrot", "Bearer " + TOKEN, "2001:db8::1",
                                                    "2001:db8::/32", "/hooks/y", "short", fox))
write("provider_route", "allowlist_mapped", route_input(3, "/webhooks/foxtrot", TOKEN, "::ffff:203.0.113.7",
                                                        "::ffff:203.0.113.0/120", "/hooks/z", "", fox))
write("provider_route", "custom_fields", route_input(4, "/webhooks/foxtrot/wrong", "", "198.51.100.1", "198.51.100.1",
                                                     "/webhooks/catena", TOKEN,
                                                     b'{"type":"ORDER_UPDATED","uuid":18446744073709551615,"created_at":"2025-02-01T00:00:00.5Z"}'))
write("provider_route", "not_an_object", route_input(2, "/webhooks/foxtrot/a/b", "", "127.0.0.1", "0.0.0.0/0",
                                                     "/hooks/q?x", "", b'["event","id"]'))
write("provider_route", "empty_event", route_input(0, "/webhooks/foxtrot", "", "203.0.113.9", "::/0", "/a", TOKEN,
                                                   b'{"event":"","id":"e-1","timestamp":"not a time","occurred_at":"2025-03-01T00:00:00Z"}'))

# state_api: a flags byte (1 an admin token is set, 2 the request carries it), then lines: a
# target, an Authorization value, a fleet key, a cursor, then bytes choosing the encodings.
def api_input(flags, target, auth, key, cursor, tail=b"\x00\x01\x02\x05\x06\x04\x03"):
    return bytes([flags]) + "\n".join([target, auth, key, cursor]).encode() + b"\n" + tail

write("state_api", "fleets_query", api_input(0, "/v1/fleets?stage=invited&limit=2&cursor=ref%3AFLEET+42", "",
                                             "ref:FLEET 42", "ref:a/b%2Fc+d"))
write("state_api", "fleet_history", api_input(3, "/v1/fleets/ref%3AFLEET%2042/history", "",
                                              "connection:S\u00e3o Paulo \u2013 42", "", b"\x02\x01\x07"))
write("state_api", "wrong_token", api_input(1, "/v1/summary", "bearer admin-token-012345678", "x", "y"))
write("state_api", "bad_queries", api_input(0, "/v1/dead-letters?limit=0001&limit=x&&=", "", "a%zz", "%"))
write("state_api", "unknown_routes", api_input(1, "/v1/fleets/a/b?x", "Bearer admin-token-0123456789",
                                               "invitation:inv?1&x=2#f", "98765432-10fe-dcba-9876-543210fedcba"))
write("state_api", "page_and_metrics", api_input(3, "/metrics?stage=none", "", "", ""))
write("state_api", "openapi_document", api_input(3, "/v1/openapi.json?x", "", "", ""))

# daemon_config: a catena-webhookd config file (packaging/ installs one like it).
write("daemon_config", "typical", """# /etc/catena-webhookd/catena-webhookd.conf
listen = 0.0.0.0:8443
path = "/webhooks/catena"
secrets-file = /etc/catena-webhookd/secrets   # one line per subscription
data-dir = /var/lib/catena-webhookd
durability = power
reorder-window = 1500
progress-interval = 250
max-body = 16777216
unverified-status = 503
admin-listen = [::1]:9090
admin-token-env = CATENA_ADMIN_TOKEN
memory = false
heal = true
heal-poll = 600
tls-min-version = 1.3
threads = 2
route = /webhooks/foxtrot=foxtrot,token-env=CATENA_FUZZ_ROUTE_TOKEN,allow=203.0.113.0/24;2001:db8::/32
route = /webhooks/fx=foxtrot,token-header=X-Token,token-env=CATENA_FUZZ_ROUTE_TOKEN,event-field=type,id-field=uuid
""")
write("daemon_config", "refusals", "listen = 127.0.0.1:0\nsecret = never\n")
write("daemon_config", "bad_switch", "memory = maybe\n")
write("daemon_config", "bad_values", "threads = 0\nmax-body = 99999999999999999999\nlisten = nowhere\n")
write("daemon_config", "store_and_tls", "store = postgresql://catena@db/catena\ntls-cert = /c.pem\n"
      "route = /x=catena\nroute = /y=foxtrot,allow=;\nroute = noprovider\n")
write("daemon_config", "logging", "log-format = json\nlog-level = debug\nthreads = 4\nlog-level = \"warn\"\n")
write("daemon_config", "bad_log", "log-level = error\nmemory = true\nlog-format = xml\n")
write("daemon_config", "late_refusal", "path = /p\nthreads = 0\n\ntls-key = k.pem\n")
write("daemon_config", "version", "# not an option of the file\nversion = true\n")

# secrets_file: WEBHOOK_ID SECRET [NOT_AFTER] per line.
write("secrets_file", "rotation", "# subscription secrets\n247b2dea-a030-48b7-9a05-ee33c1b6ab0a wX9kLmP2nQrT4vYz\n"
      "247b2dea-a030-48b7-9a05-ee33c1b6ab0a\told-secret-0001\t2025-01-01T00:00:00Z\r\n*  org-wide-secret-01\n\n  # note\n")
write("secrets_file", "bad_not_after", "wh-1 secret-000000001 2025-02-30T00:00:00Z\n")
write("secrets_file", "extra_field", "wh-1 secret-000000001 2025-01-01T00:00:00Z extra\n")
write("secrets_file", "id_only", "wh-1\n*\n")
