"""The floor of bench/run: a minimal raw-ASGI app, one hand-written SQL statement per request.

PostgreSQL builds the whole JSON answer (json_build_object / json_agg) and the app
passes the text through, in the shape PostGraphile answers (so one normaliser checks both):

    POST /teller   {"rowId": 15}       the customer with every section (query a)
    POST /weblist  {"afterId": 1234}   50 customers after that id with holdings,
                                       loyalty and open tickets (query b)
    GET  /healthz

    C360_BENCH_PG_URL=postgresql://... uvicorn --app-dir bench floor_app:app
"""

from __future__ import annotations

import json
import os
from typing import Any

import asyncpg

TELLER = """
SELECT json_build_object('data', json_build_object('customerByRowId', (
  SELECT json_build_object(
    'rowId', c.id::text, 'displayName', c.display_name, 'partyType', c.party_type,
    'status', c.status, 'segment', c.segment, 'customerSinceDate', c.customer_since_date,
    'birthDate', c.birth_date,
    'contactPointsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('kind', p.kind, 'label', p.label,
        'value', p.value, 'isPrimary', p.is_primary, 'validTo', p.valid_to) ORDER BY p.id), '[]')
      FROM contact_point p WHERE p.customer_id = c.id)),
    'holdingsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('accountRefMasked', h.account_ref_masked,
        'role', h.role, 'status', h.status, 'openedDate', h.opened_date,
        'balance', h.balance::text, 'currency', h.currency,
        'productByProductId', json_build_object('code', pr.code, 'name', pr.name,
          'category', pr.category)) ORDER BY h.id), '[]')
      FROM holding h JOIN product pr ON pr.id = h.product_id WHERE h.customer_id = c.id)),
    'loyaltyAccountsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('memberNumber', a.member_number,
        'status', a.status, 'pointsBalance', a.points_balance,
        'lifetimePoints', a.lifetime_points,
        'loyaltyTierByTierId', json_build_object('code', t.code, 'name', t.name, 'rank', t.rank),
        'loyaltyProgramByProgramId', json_build_object('code', g.code, 'name', g.name))
        ORDER BY a.id), '[]')
      FROM loyalty_account a JOIN loyalty_tier t ON t.id = a.tier_id
      JOIN loyalty_program g ON g.id = a.program_id WHERE a.customer_id = c.id)),
    'warrantyPoliciesByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('serialNumber', w.serial_number,
        'productModel', w.product_model, 'status', w.status,
        'coverageEndDate', w.coverage_end_date,
        'warrantyClaimsByPolicyId', json_build_object('nodes', (
          SELECT coalesce(json_agg(json_build_object('status', wc.status,
            'decision', wc.decision, 'reportedAt', wc.reported_at) ORDER BY wc.id), '[]')
          FROM warranty_claim wc WHERE wc.policy_id = w.id))) ORDER BY w.id), '[]')
      FROM warranty_policy w WHERE w.customer_id = c.id)),
    'interactionsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('channel', i.channel,
        'direction', i.direction, 'topic', i.topic, 'occurredAt', i.occurred_at)
        ORDER BY i.occurred_at DESC, i.id DESC), '[]')
      FROM (SELECT * FROM interaction WHERE customer_id = c.id
            ORDER BY occurred_at DESC, id DESC LIMIT 20) i)),
    'supportTicketsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('subject', s.subject, 'status', s.status,
        'priority', s.priority, 'openedAt', s.opened_at) ORDER BY s.id), '[]')
      FROM support_ticket s WHERE s.customer_id = c.id)),
    'consentsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('purpose', k.purpose, 'granted', k.granted,
        'capturedAt', k.captured_at,
        'partnerByPartnerId', CASE WHEN pa.id IS NULL THEN NULL
                                   ELSE json_build_object('code', pa.code) END)
        ORDER BY k.id), '[]')
      FROM consent k LEFT JOIN partner pa ON pa.id = k.partner_id WHERE k.customer_id = c.id)),
    'attachmentsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('fileName', f.file_name,
        'mediaType', f.media_type, 'sizeBytes', f.size_bytes) ORDER BY f.id), '[]')
      FROM attachment f WHERE f.customer_id = c.id)))
  FROM customer c WHERE c.id = $1)))::text
"""

WEBLIST = """
SELECT json_build_object('data', json_build_object('allCustomers', json_build_object('nodes', (
  SELECT coalesce(json_agg(json_build_object(
    'rowId', c.id::text, 'displayName', c.display_name, 'segment', c.segment, 'status', c.status,
    'holdingsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('accountRefMasked', h.account_ref_masked,
        'status', h.status, 'balance', h.balance::text, 'currency', h.currency,
        'productByProductId', json_build_object('code', pr.code)) ORDER BY h.id), '[]')
      FROM holding h JOIN product pr ON pr.id = h.product_id WHERE h.customer_id = c.id)),
    'loyaltyAccountsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('memberNumber', a.member_number,
        'status', a.status, 'pointsBalance', a.points_balance,
        'loyaltyTierByTierId', json_build_object('code', t.code)) ORDER BY a.id), '[]')
      FROM loyalty_account a JOIN loyalty_tier t ON t.id = a.tier_id
      WHERE a.customer_id = c.id)),
    'supportTicketsByCustomerId', json_build_object('nodes', (
      SELECT coalesce(json_agg(json_build_object('subject', s.subject,
        'priority', s.priority, 'openedAt', s.opened_at) ORDER BY s.id), '[]')
      FROM support_ticket s WHERE s.customer_id = c.id AND s.status = 'open')))
    ORDER BY c.id), '[]')
  FROM (SELECT * FROM customer WHERE id > $1 ORDER BY id LIMIT 50) c))))::text
"""

_pool: asyncpg.Pool | None = None


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(
                    os.environ["C360_BENCH_PG_URL"],
                    min_size=2,
                    max_size=int(os.environ.get("C360_BENCH_PG_POOL", "10")),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/healthz":
        await _send(send, 200, b'{"status":"ok"}')
        return
    if scope["method"] != "POST" or path not in ("/teller", "/weblist"):
        await _send(send, 404, b'{"errors":[{"message":"not found"}]}')
        return
    try:
        variables = json.loads(await _read_body(receive))
        if path == "/teller":
            statement, argument = TELLER, int(variables["rowId"])
        else:
            statement, argument = WEBLIST, int(variables["afterId"])
    except (ValueError, KeyError, TypeError):
        await _send(send, 400, b'{"errors":[{"message":"bad request"}]}')
        return
    assert _pool is not None
    async with _pool.acquire() as connection:
        text = await connection.fetchval(statement, argument)
    await _send(send, 200, text.encode())
